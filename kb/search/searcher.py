"""Searching claims: the query tree in, ranked hits, totals, facets, highlights out.

The library entry points are :func:`run_search` (hits, exact total, facets, "did you mean")
and :func:`search` / :func:`search_ids` (for ``kb export QUERY``). A query is parsed once
into kb's tree (:mod:`kb.search.query`), checked against the base (unknown filter values
are bad input naming the valid ones), expanded (:data:`kb.search.expansion.EXPANDERS`), run by
the base's engine (:mod:`kb.search.engines`) and re-scored
(:data:`kb.search.ranking.BOOSTERS`).

Semantics, "filters restrict; free words rank": ``missing place:england`` returns every
claim about England, those with "missing" first; without a positive filter at least one
free word must match; ``NOT`` excludes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kb.errors import BadInput
from kb.search import query as kq
from kb.search.expansion import EXPANDERS, expand
from kb.search.index import FACET_FIELDS, Notice, Progress
from kb.search.ranking import (
    BOOSTERS,
    RESCORE_DEPTH,
    Candidate,
    QueryContext,
    rescore,
    vocabulary_hints,
)

SUGGEST_MAX_WORD = 30
SUGGEST_MAX_WORDS = 12
"""At most this many distinct words of a query get a spelling suggestion (bounded work); the
others that match nothing are still named."""
"""Words longer than this get no "did you mean" (the search for close words grows with length)."""


@dataclass
class Hit:
    """One matching claim, with what a result list needs (read from the index, not the YAML)."""

    id: str
    score: float
    statement: str
    kind: str
    cites: list[dict[str, Any]]
    """``{key, label, footnote, locator}`` per cited work."""
    quote: str
    places: list[str]
    topics: list[str]
    period: str
    status: str
    fingerprint: str
    section: str
    document: str
    document_label: str
    highlights: list[tuple[int, int]] = field(default_factory=list)
    """Character spans of ``statement`` that matched the query."""
    matched: list[str] = field(default_factory=list)
    """The query's words (as indexed: stems) this claim holds."""
    expansions: list[str] = field(default_factory=list)
    """Expansions (acronyms, synonyms) whose words it holds."""
    boosts: list[tuple[str, float]] = field(default_factory=list)
    """Each booster's reason and score delta (``kb search --explain``)."""
    engine_score: float = 0.0

    @property
    def credit(self) -> str:
        """Who to credit: ``Jago et al. (2011), cited in Barnardo's (2012)``, or the document alone."""
        cited = list(dict.fromkeys(c["label"] for c in self.cites))
        if not cited:
            return self.document_label
        return f"{'; '.join(cited)}, cited in {self.document_label}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "score": round(self.score, 4), "statement": self.statement, "kind": self.kind,
            "cites": self.cites, "quote": self.quote, "places": self.places, "topics": self.topics,
            "period": self.period, "status": self.status, "fingerprint": self.fingerprint,
            "section": self.section, "document": self.document,
            "highlights": [list(span) for span in self.highlights],
        }

    def explain(self) -> dict[str, Any]:
        return {"engine_score": round(self.engine_score, 4), "matched": self.matched,
                "expansions": self.expansions, "boosts": [[why, round(d, 4)] for why, d in self.boosts]}


@dataclass
class SearchOutcome:
    hits: list[Hit]
    total: int
    """Claims matching (all of them, not just the ones returned); an estimate unless ``exact``."""
    exact: bool = True
    """Whether ``total`` was counted (counting every match of a broad query costs time)."""
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    """The query with each word no claim holds replaced by the closest word the index holds
    (even when the other words match: "sexualy exploited" -> "sexually exploited")."""
    unmatched: list[str] = field(default_factory=list)
    """Words of the query no claim holds in any form (searched for, matching nothing)."""
    capped: list[str] = field(default_factory=list)
    """Wildcard or fuzzy terms searched with only some of the words they match: ``total``
    is then a lower bound (``exact`` is False)."""

    @property
    def lower_bound(self) -> bool:
        return bool(self.capped)



# --- checking a tree against the base --------------------------------------------------------

CHECKED_FIELDS = ("kind", "place", "topic", "status")
"""Filter fields whose values are checked against the base (unknown values exit 2)."""


def _label(fieldname: str, value: str, vocabulary: dict[str, dict[str, str]]) -> str:
    return value


def check_filters(tree: kq.Node, session: Any) -> kq.Node:
    """``tree`` with each kind/place/topic/status filter checked against the values the base
    holds: an acronym of a value is read as it (``place:NI`` -> Northern Ireland); any other
    unknown value is :class:`BadInput` listing the valid ones."""
    from kb.model.statuses import CLAIM_STATUSES
    from kb.search.documents import acronyms, slug

    known: dict[str, list[str]] = {}

    def valid(fieldname: str) -> list[str]:
        if fieldname not in known:
            if fieldname == "status":
                known[fieldname] = list(CLAIM_STATUSES)
            else:
                vocab = session.vocabulary().get(fieldname, {})
                known[fieldname] = sorted(set(session.values(fieldname)) | {slug(v) for v in vocab})
        return known[fieldname]

    def fix(node: kq.Node) -> kq.Node:
        if isinstance(node, kq.Filter) and node.field in CHECKED_FIELDS:
            values = valid(node.field)
            if slug(node.value) in values:
                return node
            for expansion in acronyms().get(node.value.lower(), []):
                if slug(expansion) in values:
                    return kq.Filter(node.field, expansion)
            shown = ", ".join(values[:40]) + (f", ... ({len(values)} in all)" if len(values) > 40 else "")
            raise BadInput(f"unknown {node.field} '{kq.shorten(node.value, 40)}' in the query",
                           hint=f"valid {node.field} values: {shown}")
        if isinstance(node, kq.And):
            return kq.And(tuple(fix(c) for c in node.children), tuple(fix(c) for c in node.optional))
        if isinstance(node, kq.Or):
            return kq.Or(tuple(fix(c) for c in node.children))
        if isinstance(node, kq.Not):
            return kq.Not(fix(node.child))
        return node

    return fix(tree)


QUESTION_WORDS = frozenset(["how", "many", "much", "what", "which", "who", "whom", "whose", "when", "where", "why", "does", "did", "do", "is", "are", "was", "were", "there", "any", "about", "tell", "me", "show", "find", "definition", "definitions", "define", "defined", "meaning", "statistics", "figures"])
"""Words of a question that carry no topic: dropped from free text (not from phrases). Some
('definition', 'figures') say what kind of claim is wanted: :data:`KIND_CUES` ranks by them."""


def drop_question_words(tree: kq.Node, extra: frozenset[str] | set[str] = frozenset()) -> kq.Node:
    """The tree without free words such as 'how many' (:data:`QUESTION_WORDS` and ``extra``,
    the words of the question's form, :func:`kb.search.intent.detect_intent`), unless no free
    word would remain. Phrases and the words of an expansion ('how common' -> prevalence) stay:
    expand the whole question first."""
    dropped_words = QUESTION_WORDS | {w.lower() for w in extra}

    def keep(node: kq.Node) -> bool:
        return not (isinstance(node, kq.Term) and node.field is None and not node.why
                    and node.text.lower().strip("?,.!") in dropped_words)

    def drop(node: kq.Node) -> kq.Node:
        if isinstance(node, kq.And):
            return kq.And(tuple(drop(c) for c in node.children if keep(c)),
                          tuple(drop(c) for c in node.optional if keep(c)))
        if isinstance(node, kq.Or) and not any(getattr(c, "why", "") for c in node.children):
            return kq.Or(tuple(drop(c) for c in node.children if keep(c)))
        return node

    dropped = drop(tree)
    if not kq.free_words(dropped) or not keep(dropped) or dropped in (kq.Or(()), kq.And(())):
        return tree
    return dropped


def phrase_spans(tree: kq.Node) -> kq.Node:
    """A run of several words the thesaurus reads as a group of narrower terms is searched as
    its phrase: 'devolved nations' (or Scotland, Wales, Northern Ireland) no longer matches
    'national' alone. (A run with synonyms keeps its single words: 'go missing' still
    finds 'missing'.)"""
    if isinstance(tree, kq.Or):
        children = tuple(phrase_spans(c) for c in tree.children)
        plain = [c for c in children if isinstance(c, kq.Term) and c.field is None and not c.why]
        if len(plain) > 1 and len(plain) < len(children) and all(
                getattr(c, "why", "").startswith("part of") for c in children if c not in plain):
            return kq.Or((kq.Phrase(tuple(t.text for t in plain)), *(c for c in children if c not in plain)))
        return kq.Or(children)
    if isinstance(tree, kq.And):
        return kq.And(tuple(phrase_spans(c) for c in tree.children), tuple(phrase_spans(c) for c in tree.optional))
    return tree


def with_tags(tree: kq.Node, hints: list[tuple[str, str]]) -> kq.Node:
    """Topic and place tags the question names count as matches of its words: a claim tagged
    ``topic:perpetrators`` matches "who are the perpetrators" even when its text says
    "abusers". The tags are optional alternatives: they add matches, never restrict."""
    tags = tuple(kq.Filter(f, v) for f, v in hints if f in ("topic", "place"))
    if not tags:
        return tree
    if isinstance(tree, kq.And):
        return kq.And(tree.children, (*tree.optional, *tags)) if tree.optional else tree
    if isinstance(tree, kq.Or):
        return kq.Or((*tree.children, *tags))
    if isinstance(tree, (kq.Term, kq.Phrase)):
        return kq.Or((tree, *tags))
    return tree


# --- running -------------------------------------------------------------------------------


def facet_counts(hits: list[dict[str, Any]], fieldname: str) -> dict[str, int]:
    """Hits by value of a facet, counted from the hits' stored values; values as ``kb stats``
    prints them ("Wales", "finding")."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for data in hits:
        if fieldname == "kind":
            values = [data["kind"]]
        elif fieldname in ("place", "topic"):
            values = list(data["places" if fieldname == "place" else "topics"])
        elif fieldname == "source":
            values = [c["key"] for c in data["cites"]]
        elif fieldname == "year":
            values = [str(y) for y in data.get("years", [])]
        else:
            values = [data[fieldname]]
        counts.update(set(values))
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


_FREE_WORD = re.compile(r'"[^"]*"|\S+:\S+|[\w’\']+')


def _hit(c: Candidate, spans: list[tuple[int, int]], why: dict[str, str]) -> Hit:
    stored, data = c.stored, c.data
    stems = sorted(c.words | {t for _, t in c.matched})
    return Hit(id=stored["id"], score=float(c.score), statement=stored["statement"], kind=data["kind"],
               cites=data["cites"], quote=data["quote"], places=data["places"], topics=data["topics"],
               period=data["period"], status=data["status"], fingerprint=data["fingerprint"],
               section=data["section"], document=data["document"], document_label=data["document_label"],
               highlights=spans, matched=stems,
               expansions=sorted({why[s] for s in stems if s in why}), boosts=list(c.boosts),
               engine_score=c.engine_score)


def _why(tree: kq.Node, session: Any) -> dict[str, str]:
    """Indexed word -> the expansion that added it."""
    out: dict[str, str] = {}
    asked = {stem for node in kq.walk(tree) if isinstance(node, (kq.Term, kq.Phrase)) and not node.why
             for stem in session.stem(node.text if isinstance(node, kq.Term) else " ".join(node.words)).split("-")}
    for node in kq.walk(tree):
        if isinstance(node, (kq.Term, kq.Phrase)) and node.why:
            text = node.text if isinstance(node, kq.Term) else " ".join(node.words)
            for stem in session.stem(text).split("-"):
                if stem not in asked:
                    out.setdefault(stem, node.why)
    return out


def run_search(root: Path, query_text: str, *, limit: int | None = 10, status: str | None = None,
               facets: tuple[str, ...] = (), index_dir: Path | None = None, notice: Notice | None = None,
               progress: Progress | None = None, engine: str | None = None) -> SearchOutcome:
    """Search the base at ``root`` (its index refreshed first); hits best first.

    ``engine`` overrides the base's choice (``kb.yaml``)."""
    from kb.model.statuses import check_status
    from kb.search.engines import open_engine

    for name in facets:
        if name not in FACET_FIELDS:
            raise BadInput(f"cannot count hits by '{name}'", hint=f"facets: {', '.join(FACET_FIELDS)}")
    if limit is not None and limit < 1:
        raise BadInput(f"--limit must be at least 1 (got {limit})", hint="e.g. --limit 20")
    if status is not None:
        check_status(status)
    parsed = kq.parse(query_text, status=status)  # bad syntax fails before any index is opened
    eng = open_engine(Path(root), index_dir, name=engine, notice=notice, progress=progress)
    return eng.run(lambda session: _run(session, query_text, parsed, limit=limit, facets=facets,
                                          root=Path(root)))


INTENT_SCALE = 4.0
"""How much a claim of the shape a question asks for gains (:func:`kb.search.intent.make_intent_booster`)."""
TAG_SCALE = 2.0
"""How much a claim gains per query word its topic or place tags match (:func:`kb.search.intent.tag_booster`)."""


THESAURUS_SCALE = 0.5
"""The thesaurus's weights (synonym 0.7, near 0.4 ...) times this, in the engine's query."""
MAX_SYNONYMS = 40
"""At most this many thesaurus terms in one query's tree (a span said again is expanded once):
bounded work for a long query."""
FLOOD_SHARE = 0.25
"""A thesaurus term found in more than this share of the claims is not searched ('exploiters',
stemmed as 'exploitation', would match nearly every claim)."""
MAX_COUNTS = 24
"""At most this many words' frequencies looked up per query (bounded work)."""
GENERIC_SHARE = 0.1
"""Synonyms of a word found in more than this share of the claims ('children', 'young people')
are not searched: they would add every claim, and a claim saying the same thing three ways
would outrank the answer."""


def _specific(expander: Any, session: Any, budget: list[int] | None = None,
              counts: dict[str, int] | None = None) -> Any:
    """``expander`` without the alternatives of words common in the base (:data:`GENERIC_SHARE`),
    without alternative terms that are themselves common ('exploiters', stemmed as every
    'exploitation'), and without alternative terms sharing a stem with the words they stand for ('convictions'
    for 'convicted', 'police officers' for 'police': the engine would count the word twice);
    the others at their weight times :data:`THESAURUS_SCALE`. ``budget`` ([n], shared by
    every call) caps the terms added to one query."""
    counts = {} if counts is None else counts  # word -> claims holding it, shared between calls
    claims = session.count(kq.Or(tuple(kq.Filter("kind", k) for k in session.values("kind")))) or 1

    def common(words: list[str], share: float = GENERIC_SHARE) -> bool:
        key = " ".join(words).lower()
        if key not in counts:
            node = kq.Term(words[0]) if len(words) == 1 else kq.Phrase(tuple(words))
            counts[key] = session.count(node)
        return counts[key] > share * claims

    def stems(text: str) -> set[str]:
        return set(session.stem(text).split("-")) - {""}

    def run(words: list[str]) -> list[Any]:
        out, left, first = [], min(MAX_SYNONYMS, budget[0] if budget else MAX_SYNONYMS), {}
        for a in expander(words):
            if left <= 0 or len(counts) >= MAX_COUNTS:
                break
            span = tuple(w.lower() for w in words[a.start:a.end])
            if first.setdefault(span, a.start) != a.start or common(words[a.start:a.end]):
                continue  # a span said again is expanded once
            own = stems(" ".join(span))
            terms = [t for t in a.terms if not stems(t) & own and not common(t.split(), FLOOD_SHARE)][:left]
            if terms:
                left -= len(terms)
                if budget:
                    budget[0] -= len(terms)
                out.append(replace(a, terms=terms, weight=a.weight * THESAURUS_SCALE))
        return out

    return run


def _run(session: Any, query_text: str, parsed: kq.Node, *, limit: int | None,
         facets: tuple[str, ...], root: Path | None = None) -> SearchOutcome:
    """One search in an engine's ``session``; ``root``'s own thesaurus.yaml extends kb's."""
    from kb.search.intent import (
        detect_intent,
        make_intent_booster,
        remaining_words,
        tag_booster,
    )
    from kb.search.thesaurus import load_thesaurus, make_thesaurus_expander

    checked = check_filters(parsed, session)
    words = kq.free_words(checked)
    intent = detect_intent(" ".join(words))
    counts: dict[str, int] = {}
    thesaurus = _specific(make_thesaurus_expander(root), session, counts=counts)
    free = remaining_words(words, intent, thesaurus(words))
    vocab = session.vocabulary()
    hints = vocabulary_hints(words, {f: session.values(f) for f in ("place", "topic")}, session.stem, vocab)
    loose = [n.text for n in kq.walk(checked) if isinstance(n, kq.Term) and n.field is None]  # not quoted
    tags = vocabulary_hints(remaining_words(loose, intent), {f: session.values(f) for f in ("place", "topic")},
                            session.stem, vocab) if loose else []
    budgeted = _specific(make_thesaurus_expander(root), session, [MAX_SYNONYMS], counts)
    expanded = phrase_spans(expand(expand(checked, EXPANDERS), [budgeted], phrases=False))
    tree = with_tags(drop_question_words(expanded, intent.words_to_drop), tags)
    ctx = QueryContext(text=query_text, tree=tree, terms=session.terms(tree), hints=hints, why=_why(tree, session),
                       free_words=free)
    boosters = [*BOOSTERS, make_intent_booster(intent, scale=INTENT_SCALE),
                tag_booster({"topics": vocab.get("topic", {}), "places": vocab.get("place", {})},
                            scale=TAG_SCALE, expander=thesaurus,
                            named=[v for f, v in hints if f in ("topic", "place")])]
    wanted = None if limit is None else max(limit, RESCORE_DEPTH)
    found = session.search(tree, wanted)
    ranked = rescore(found[:RESCORE_DEPTH], ctx, boosters) + found[RESCORE_DEPTH:]
    total = len(found) if wanted is None or len(found) < wanted else session.count(tree)
    terms = session.highlight_terms(tree)
    shown = ranked[:limit] if limit is not None else ranked
    hits = [_hit(c, session.highlights(c.stored["statement"], terms), ctx.why) for c in shown]
    counts = {}
    if facets:
        every = [c.stored for c in ranked] if wanted is None or len(found) < wanted else session.stored(tree)
        counts = {name: facet_counts([s["data"] for s in every], name) for name in facets}
    suggestion, unmatched = _spelling(query_text, words, session,
                                      intent.words_to_drop | set(load_thesaurus(root).words()))
    capped = list(getattr(session, "capped", []))
    return SearchOutcome(hits=hits, total=total, exact=not capped, facets=counts, suggestion=suggestion,
                         capped=capped, unmatched=unmatched)


def _spelling(text: str, words: list[str], session: Any, real: set[str]) -> tuple[str | None, list[str]]:
    """(the query with each unknown word corrected, or None; the words no claim holds).
    Question words, acronyms, ``real`` words (the question's form, the thesaurus's words:
    'devolved' finds Scotland, Wales and Northern Ireland) and words of
    :data:`SUGGEST_MAX_WORD` letters or more are not judged."""
    from kb.search.documents import acronyms
    from kb.search.spelling import suggest_words, unknown_words

    known = session.words()
    skip = QUESTION_WORDS | {w.lower() for w in real} | set(acronyms()) | {"and", "or", "not", "to"}
    judged = [w for w in words if w.lower() not in skip and len(w) <= SUGGEST_MAX_WORD]
    fixes = suggest_words(list(dict.fromkeys(judged))[:SUGGEST_MAX_WORDS], known)
    unmatched = [w for w in unknown_words(judged, known) if w not in fixes]
    if not fixes:
        return None, unmatched
    lowered = {w.lower(): f for w, f in fixes.items()}
    corrected = _FREE_WORD.sub(lambda m: lowered.get(m.group(0).lower(), m.group(0)), text)
    return corrected, sorted(set(unmatched) | set(fixes), key=words.index)


def search(root: Path, query_text: str, *, limit: int | None = 10, status: str | None = None,
           index_dir: Path | None = None, engine: str | None = None) -> list[Hit]:
    """Ranked hits for ``query_text`` in the base at ``root``; ``limit=None`` for all of them.

    ``status`` keeps only claims with that review status. Raises ``BadInput`` for a
    query that cannot be parsed; returns ``[]`` when nothing matches.
    """
    return run_search(root, query_text, limit=limit, status=status, index_dir=index_dir, engine=engine).hits


def search_ids(root: Path, query_text: str, *, limit: int | None = None, status: str | None = None,
               index_dir: Path | None = None, engine: str | None = None) -> list[str]:
    """Claim ids matching ``query_text``, best first (all of them unless ``limit``)."""
    return [hit.id for hit in search(root, query_text, limit=limit, status=status, index_dir=index_dir,
                                     engine=engine)]


__all__ = ["Hit", "SearchOutcome", "check_filters", "run_search", "search", "search_ids"]
