"""Searching claims: query parsing (filters, acronyms), ranking, highlights, facets.

The library entry point is :func:`search` (ranked hits) or :func:`search_ids` (claim
ids in rank order, for ``kb export QUERY``); :func:`run_search` also returns the
total, facet counts and a "did you mean". Whoosh itself lives behind
:mod:`kb.search.index` (schema, index upkeep); this module builds and runs queries.

Query semantics:
- free words are searched (stemmed) in statement, quote, section and the cited
  works' authors and titles (BM25F, field boosts ``kb.search.index.FIELD_BOOSTS``); a claim
  matching more of the words ranks higher; not all are required;
- field filters (``kind: place: topic: source: year: period: status: value: id:
  document:``) are *required*, as are ``NOT`` clauses: ``missing place:england``
  means claims about England, ranked by "missing";
- multi-word values are written with hyphens or quotes: ``place:northern-ireland``
  or ``place:"Northern Ireland"``;
- acronyms from ``kb/data/acronyms.yaml`` match their expansions both ways.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import BadInput, KbError
from kb.model.statuses import check_status
from kb.search.index import (
    FACET_FIELDS,
    FIELD_BOOSTS,
    FILTER_FIELDS,
    TEXT_FIELDS,
    Notice,
    RETRIES,
    RETRY_SECONDS,
    Progress,
    acronyms,
    index_vocabulary,
    index_words,
    open_index,
    recover,
    slug,
)

FIELD_ALIASES = {"place": ["places"], "topic": ["topics"], "source": ["author", "cites"],
                 "status": ["review"], "kind": ["kinds"], "year": ["years"], "value": ["values"]}
QUERY_FIELDS = sorted(set(TEXT_FIELDS) | FILTER_FIELDS - {"citekey"})


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


@dataclass
class SearchOutcome:
    hits: list[Hit]
    total: int
    """Claims matching (all of them, not just the ones returned); an estimate unless ``exact``."""
    exact: bool = True
    """Whether ``total`` was counted (counting every match of a broad query costs time)."""
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    """A corrected query when nothing matched and the index knows a close spelling."""
    capped: list[str] = field(default_factory=list)
    """Wildcard or fuzzy terms searched with only some of the words they match: ``total``
    is then a lower bound (``exact`` is False)."""

    @property
    def lower_bound(self) -> bool:
        return bool(self.capped)


# --- parsing ------------------------------------------------------------------------


def _at(new: Any, old: Any) -> Any:
    """A node made by a plugin takes the place in the query string of the node it stands for."""
    return new.set_range(old.startchar, old.endchar)


MAX_EXPANSIONS = 512
"""Words one fuzzy or wildcard term may stand for. Past it the term is searched with the
first ``MAX_EXPANSIONS`` words (alphabetically), and the outcome says so (``capped``) and
marks its count as a lower bound."""


def close_words(text: str, words: list[str], maxdist: int = 1, prefix: int = 0) -> list[str]:
    """Words of the sorted list ``words`` within ``maxdist`` edits of ``text``, closest first."""
    from bisect import bisect_left

    from whoosh.automata.fsa import find_all_matches
    from whoosh.automata.lev import levenshtein_automaton

    def at_or_after(key: str) -> str | None:
        i = bisect_left(words, key)
        return words[i] if i < len(words) else None

    found: dict[str, None] = {}
    for distance in range(0, maxdist + 1):
        if distance == 0:
            if at_or_after(text) == text:
                found[text] = None
            continue
        dfa = levenshtein_automaton(text, distance, prefix).to_dfa()
        for word in find_all_matches(dfa, at_or_after):
            found.setdefault(word, None)
    return list(found)


def expand_loose(node: Any, words: list[str], capped: list[str] | None = None) -> list[str]:
    """Words of the index (as written) that a fuzzy (``word~``) or wildcard (``exp*``) term
    matches, at most ``MAX_EXPANSIONS``; a term that matches more is added to ``capped``.

    A plain prefix (``exp*``) is a slice of the sorted word list (two binary searches);
    other patterns are matched against the words that share their literal prefix.
    """
    from bisect import bisect_left

    from whoosh.qparser import plugins

    text = node.text.lower()
    if isinstance(node, plugins.FuzzyTermPlugin.FuzzyTermNode):
        found = close_words(text, words, node.maxdist, node.prefixlength)
        label = f"{node.text}~"
    else:
        pattern_text = text if isinstance(node, plugins.WildcardPlugin.WildcardNode) else text + "*"
        literal = re.match(r"[^*?\[]*", pattern_text).group(0)
        start = bisect_left(words, literal)
        end = bisect_left(words, literal + "\U0010ffff") if literal else len(words)
        if pattern_text == literal + "*":
            found = words[start:end]
        else:
            import fnmatch

            pattern = re.compile(fnmatch.translate(pattern_text))
            found = [w for w in words[start:end] if pattern.match(w)]
        label = pattern_text
    if len(found) > MAX_EXPANSIONS:
        if capped is not None:
            capped.append(f"{label} ({len(found)} words; searched the first {MAX_EXPANSIONS})")
        found = found[:MAX_EXPANSIONS]
    return found


def _query_words_plugin(table: dict[str, list[str]], analyzer: Any, words: Any,
                        capped: list[str] | None = None) -> Any:
    """A Whoosh parser plugin for free words: an acronym also searches its expansions, an
    expansion its acronym; fuzzy and wildcard terms become the words of the index they match
    (as written, since stems make poor targets: 'exploitaton~' should find 'exploitation').

    ``words`` is a callable returning the index's sorted word list (read only when needed).
    """
    from whoosh.qparser import plugins, syntax

    def stems_of(text: str) -> tuple[str, ...]:
        return tuple(t.text for t in analyzer(text))

    loose = (plugins.FuzzyTermPlugin.FuzzyTermNode, plugins.WildcardPlugin.WildcardNode,
                    plugins.PrefixPlugin.PrefixNode)
    by_words: dict[tuple[str, ...], str] = {}
    for acronym, expansions in table.items():
        for expansion in expansions:
            by_words.setdefault(stems_of(expansion), acronym)


    def expand(parser: Any, group: Any) -> Any:
        out: list[Any] = []
        nodes = list(group)
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if isinstance(node, syntax.GroupNode):
                out.append(expand(parser, node))
                i += 1
                continue
            unfielded = getattr(node, "fieldname", "x") is None
            if unfielded and isinstance(node, loose):
                matches = expand_loose(node, words(), capped)
                out.append(syntax.OrGroup([_at(syntax.WordNode(w), node) for w in matches]) if matches else node)
                i += 1
                continue
            if unfielded and isinstance(node, syntax.WordNode):
                key = node.text.lower()
                key = key if key in table else key[:-1] if key.endswith("s") and key[:-1] in table else ""
                if key:
                    phrases = [_at(plugins.PhrasePlugin.PhraseNode(e, 0), node) for e in table[key]]
                    out.append(syntax.OrGroup([node] + phrases))
                    i += 1
                    continue
                # the longest run of plain words that spells out an expansion
                run, stems, j = [], [], i
                best = None
                while j < len(nodes) and isinstance(nodes[j], syntax.WordNode) and nodes[j].fieldname is None:
                    run.append(nodes[j])
                    stems += stems_of(nodes[j].text)
                    if tuple(stems) in by_words:
                        best = (j, by_words[tuple(stems)])
                    j += 1
                if best is not None:
                    end, acronym = best
                    word = _at(syntax.WordNode(acronym), node)
                    out.append(syntax.OrGroup([parser.group(nodes[i:end + 1]), word]))
                    i = end + 1
                    continue
            if unfielded and isinstance(node, plugins.PhrasePlugin.PhraseNode):
                acronym = by_words.get(stems_of(node.text))
                if acronym:
                    out.append(syntax.OrGroup([node, _at(syntax.WordNode(acronym), node)]))
                    i += 1
                    continue
            out.append(node)
            i += 1
        group[:] = out
        return group

    class AcronymPlugin(plugins.Plugin):
        def filters(self, parser: Any) -> list[tuple[Any, int]]:
            return [(expand, 105)]  # after field names (100), before multifield expansion (110)

    return AcronymPlugin()


def _required_filters_plugin(default_group: type) -> Any:
    """Make field filters and NOT clauses required in an implicit (OR) group of words."""
    from whoosh.qparser import plugins, syntax

    def filter_only(node: Any) -> bool:
        if isinstance(node, syntax.NotGroup):
            return True
        if isinstance(node, syntax.GroupNode):
            return len(node) > 0 and all(filter_only(n) for n in node)
        return getattr(node, "fieldname", None) in FILTER_FIELDS

    def restructure(parser: Any, group: Any) -> Any:
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = restructure(parser, node)
        if type(group) is default_group and len(group) > 1:
            required = [n for n in group if filter_only(n)]
            optional = [n for n in group if not filter_only(n)]
            if required and optional:
                return syntax.AndGroup(required + [default_group(optional)])
            if required:
                return syntax.AndGroup(required)
        return group

    class RequiredFiltersPlugin(plugins.Plugin):
        def filters(self, parser: Any) -> list[tuple[Any, int]]:
            return [(restructure, 700)]  # after operators (600) have built their groups

    return RequiredFiltersPlugin()


def make_parser(schema: Any, words: Any = list, capped: list[str] | None = None) -> Any:
    """The query parser; ``words`` returns the index's word list (for fuzzy and wildcard terms);
    fuzzy and wildcard terms that stand for more than ``MAX_EXPANSIONS`` words are added to ``capped``."""
    from whoosh import qparser

    # plain OR: how many words a claim matches is rewarded by re-scoring the top hits
    # (see rescore), not by Whoosh's coordination matcher over every candidate
    group = type("ImplicitOrGroup", (qparser.OrGroup,), {})  # told apart from an explicit OR
    parser = qparser.MultifieldParser(list(TEXT_FIELDS), schema, fieldboosts=FIELD_BOOSTS, group=group)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.GtLtPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    parser.add_plugin(_query_words_plugin(acronyms(), schema["statement"].analyzer, words, capped))
    parser.add_plugin(_required_filters_plugin(group))
    return parser


_FIELD_PREFIX = re.compile(r'(?:^|[\s(])(?:[-+]?)([A-Za-z_]\w*):(?=\S)')


def _check_fields(text: str) -> None:
    """Reject ``plase:england``: Whoosh would silently search it as words."""
    known = set(QUERY_FIELDS) | {a for names in FIELD_ALIASES.values() for a in names}
    outside_quotes = re.sub(r'"[^"]*"', " ", text)
    for m in _FIELD_PREFIX.finditer(outside_quotes):
        name = m.group(1)
        if name.lower() not in known:
            import difflib

            close = difflib.get_close_matches(name.lower(), sorted(known), n=1)
            hint = f"did you mean '{close[0]}:'?" if close else f"fields: {', '.join(QUERY_FIELDS)}"
            raise BadInput(f"unknown search field '{name}:' in query '{text}'", hint=hint)


def _query_errors(q: Any) -> list[str]:
    errors = []
    stack = [q]
    while stack:
        node = stack.pop()
        if getattr(node, "error", None):
            errors.append(str(node.error))
        stack.extend(node.children())
    return errors


def parse_query(schema: Any, text: str, *, status: str | None = None, words: Any = list,
                capped: list[str] | None = None) -> Any:
    """Parse a query string; :class:`BadInput` (exit 2) when it cannot be understood."""
    from whoosh import query

    if status is not None:
        check_status(status)
    if not text.strip():
        raise BadInput("empty search query", hint="give some words, e.g. kb search \"going missing\"")
    _check_fields(text)
    try:
        q = make_parser(schema, words, capped).parse(text)
    except Exception as exc:  # the parser's own failures (rare) are bad input, not bugs of ours
        raise BadInput(f"cannot parse the query '{text}': {exc}",
                       hint="check quotes, brackets and field:value pairs") from None
    errors = _query_errors(q)
    if errors:
        raise BadInput(f"cannot parse the query '{text}': {errors[0]}",
                       hint="numbers go in value:/year: (e.g. value:>=1000, year:[2009 TO 2011])")
    if q is query.NullQuery or isinstance(q, type(query.NullQuery)):
        raise BadInput(f"the query '{text}' has no searchable words", hint="common words such as 'the' are ignored")
    if status is not None:
        q = query.And([q, query.Term("status", status)])
    return q


# --- ranking hints from the controlled vocabularies -----------------------------------

QUESTION_WORDS = frozenset("how many much what which who whom whose when where why does did do is are was were "
                           "there any about tell me show find definition definitions define defined meaning "
                           "statistics figures".split())
"""Words of a question that carry no topic: dropped from free text (not from phrases). Some
('definition', 'figures') say what kind of claim is wanted: :data:`KIND_CUES` ranks by them."""
KIND_CUES = {
    "statistic": ["how many", "how much", "number of", "numbers", "statistics", "figures", "per cent",
                  "percentage", "proportion", "rate", "count"],
    "definition": ["definition", "define", "defined", "meaning", "what is", "what does"],
    "trend": ["trend", "rise", "risen", "increase", "fall", "decline", "change over", "growing"],
    "event": ["when did", "when was", "launched", "published", "announced", "appointed"],
    "policy": ["law", "legislation", "guidance", "policy", "act", "duty", "statutory"],
    "recommendation": ["should", "recommend", "recommendation", "recommendations", "call for", "calls for"],
    "indicator": ["signs", "sign", "warning", "indicator", "indicators", "risk factors"],
    "finding": ["research", "study", "found", "survey", "evidence"],
}
"""Phrasings that suggest what kind of claim a researcher wants ("how many" -> statistic)."""
VOCABULARY_BONUS = {"kind": 8.0, "place": 8.0, "topic": 8.0}


def _free_text(text: str) -> str:
    """The query without its quoted phrases and field:value terms."""
    return re.sub(r'"[^"]*"|\S+:\S+', " ", text)


def vocabulary_hints(text: str, reader: Any, analyzer: Any,
                     descriptions: dict[str, dict[str, str]] | None = None) -> list[tuple[str, str]]:
    """(field, value) pairs whose controlled-vocabulary value the question names.

    'boys and young men in Scotland' names topic boys-and-young-men and place scotland;
    'children in care' is the description of topic looked-after-children; 'how many ...'
    asks for a statistic. They raise the rank of such claims, never restrict the hits
    (see :func:`rescore`).
    """
    words = re.findall(r"[\w’']+", _free_text(text).lower())
    if not words:
        return []
    stem = {}

    def stems(phrase: str) -> str:
        if phrase not in stem:
            stem[phrase] = "-".join(t.text for t in analyzer(phrase.replace("-", " "), removestops=False))
        return stem[phrase]

    grams = {stems(" ".join(words[i:i + n])) for n in range(1, 5) for i in range(len(words) - n + 1)}
    hints = []
    for fieldname in ("place", "topic"):
        for term in reader.lexicon(fieldname):
            value = term.decode("utf-8")
            if stems(value) in grams:
                hints.append((fieldname, value))
    said = "-" + "-".join(stems(w) for w in words) + "-"
    for fieldname, table in (descriptions or {}).items():
        for value, description in table.items():
            if fieldname in ("place", "topic") and f"-{stems(description)}-" in said \
                    and (fieldname, value) not in hints:
                hints.append((fieldname, value))
    joined = " " + " ".join(words) + " "
    for kind, cues in KIND_CUES.items():
        if any(f" {cue} " in joined for cue in cues):
            hints.append(("kind", kind))
    return hints


RESCORE_DEPTH = 300
"""How many of the engine's best hits are re-scored (words matched, vocabulary hints)."""
COORD_SCALE = 0.9
"""The short-query ranking of V-Twin (as Whoosh's ``OrGroup.factory(0.9)``): a claim gains
``(matched - 1) / (terms - COORD_SCALE) ** 2`` for matching more of the query's terms."""


def rescore(candidates: list[tuple[float, frozenset, dict[str, Any]]], terms: int,
            hints: list[tuple[str, str]]) -> list[int]:
    """The order of ``candidates`` (score, matched (field, term) pairs, stored fields) after re-scoring:
    a bonus for each more query term matched (coordination) and for each vocabulary hint
    the claim carries (its kind, one of its places or topics). Stable for equal scores.

    This is where issue 12's ranking signals plug in: they see the engine's top
    ``RESCORE_DEPTH`` hits with their stored values, never the engine itself.
    """
    def rescored(score: float, matched: frozenset, data: dict[str, Any]) -> float:
        count = sum(1 for fieldname, _ in matched if fieldname in TEXT_FIELDS)
        if terms > 1 and count:
            score = (score + (count - 1) / (terms - COORD_SCALE) ** 2) * (terms - 1) / terms
        extra = 0.0
        for fieldname, value in hints:
            held = {data.get("kind", "")} if fieldname == "kind" else \
                {slug(v) for v in data.get("places" if fieldname == "place" else "topics", [])}
            if value in held:
                extra += VOCABULARY_BONUS[fieldname]
        return score + extra

    scored = [(rescored(score, matched, data["data"]), -i) for i, (score, matched, data) in enumerate(candidates)]
    return [-i for _, i in sorted(scored, reverse=True)]


def _drop_question_words(text: str) -> str:
    """Remove words such as 'how many' from free text, unless nothing else would remain."""
    kept = []
    dropped = False
    for token in re.findall(r'"[^"]*"|\S+', text):
        if token.lower().strip("?,.") in QUESTION_WORDS:
            dropped = True
            continue
        kept.append(token)
    if not dropped or not any(t.upper() not in ("AND", "OR", "NOT") for t in kept):
        return text
    return " ".join(kept)


# --- running -------------------------------------------------------------------------------


def _highlight_spans(text: str, analyzer: Any, stems: set[str]) -> list[tuple[int, int]]:
    if not stems:
        return []
    return [(t.startchar, t.endchar) for t in analyzer(text, chars=True) if t.text in stems]


def _matched_terms(q: Any, reader: Any) -> set[str]:
    """The query's terms (stems) in the text fields that the index holds."""
    stems = set()
    for fieldname, text in q.existing_terms(reader, phrases=True, expand=True):
        if fieldname in TEXT_FIELDS:
            stems.add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return stems


def _facet_counts(hits: list[dict[str, Any]], fieldname: str) -> dict[str, int]:
    """Hits by value of a facet, counted from the hits' stored values (not from every term
    of the field's postings); values as the filters write them (slugs for places, topics)."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for data in hits:
        if fieldname == "kind":
            values = [data["kind"]]
        elif fieldname in ("place", "topic"):
            values = [slug(v) for v in data["places" if fieldname == "place" else "topics"]]
        elif fieldname == "source":
            values = [c["key"] for c in data["cites"]]
        elif fieldname == "year":
            values = [str(y) for y in data.get("years", [])]
        else:
            values = [data[fieldname]]
        counts.update(set(values))
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _all_stored(searcher: Any, q: Any) -> Any:
    for docnum in searcher.docs_for_query(q):
        yield searcher.stored_fields(docnum)


def _matched_terms_of(reader: Any, terms: set[tuple[str, Any]], docnums: list[int]) -> dict[int, frozenset]:
    """Which of the query's terms each of a few documents holds: one pass along each term's
    postings, skipping to the documents in order (cheaper than Whoosh's ``terms=True``,
    which records the matched terms of every match, not just of the top hits)."""
    found: dict[int, set] = {d: set() for d in docnums}
    order = sorted(found)
    for fieldname, text in terms:
        try:
            postings = reader.postings(fieldname, text)
        except Exception:  # noqa: BLE001 (TermNotFound and the like: the term is in no document)
            continue
        for docnum in order:
            if not postings.is_active():
                break
            if postings.id() < docnum:
                postings.skip_to(docnum)
                if not postings.is_active():
                    break
            if postings.id() == docnum:
                found[docnum].add((fieldname, text))
    return {d: frozenset(ts) for d, ts in found.items()}


def _query_terms(q: Any, reader: Any) -> set[tuple[str, Any]]:
    """The query's single-word terms that the index holds (what coordination counts). The
    words of a phrase are left out: a claim holding them apart does not match the phrase."""
    return {(f, t) for f, t in q.existing_terms(reader, phrases=False, expand=True) if f in TEXT_FIELDS}


_FREE_WORD = re.compile(r'"[^"]*"|\S+:\S+|[\w’\']+')


def suggest(text: str, words: list[str]) -> str | None:
    """The query with each free word the index lacks replaced by the closest one it holds."""
    known = set(words)
    skip = {"and", "or", "not", "to"} | set(acronyms())
    changed = False

    def fix(m: re.Match) -> str:
        nonlocal changed
        word = m.group(0)
        low = word.lower()
        if word.startswith('"') or ":" in word or low in known or low in skip or low.isdigit() or len(low) < 3:
            return word
        found = [w for w in close_words(low, words, 2) if w != low]
        if not found:
            return word
        changed = True
        return found[0]

    corrected = _FREE_WORD.sub(fix, text)
    return corrected if changed else None


def _hit(stored: dict[str, Any], score: float, spans: list[tuple[int, int]]) -> Hit:
    data = stored["data"]
    return Hit(id=stored["id"], score=float(score), statement=stored["statement"], kind=data["kind"],
               cites=data["cites"], quote=data["quote"], places=data["places"], topics=data["topics"],
               period=data["period"], status=data["status"], fingerprint=data["fingerprint"],
               section=data["section"], document=data["document"], document_label=data["document_label"],
               highlights=spans)


def _count(searcher: Any, q: Any, results: Any, limit: int | None) -> tuple[int, bool]:
    """How many claims match: always exact (an unscored pass over the matches when the
    scored search stopped at ``limit``).

    Whoosh's own ``has_exact_length`` cannot be trusted after a limited search: it asks
    the last segment's matcher whether blocks were skipped, while earlier segments (or
    that matcher before it was replaced) may have skipped matching claims uncounted.
    """
    scored = results.scored_length()
    if limit is None or scored < limit:
        return scored, True  # the heap never filled, so nothing was skipped
    return sum(1 for _ in searcher.docs_for_query(q)), True


def run_search(root: Path, query_text: str, *, limit: int | None = 10, status: str | None = None,
               facets: tuple[str, ...] = (), index_dir: Path | None = None, notice: Notice | None = None,
               progress: Progress | None = None) -> SearchOutcome:
    """Search the base at ``root`` (its index refreshed first); hits best first."""
    for name in facets:
        if name not in FACET_FIELDS:
            raise BadInput(f"cannot count hits by '{name}'", hint=f"facets: {', '.join(FACET_FIELDS)}")
    if limit is not None and limit < 1:
        raise BadInput(f"--limit must be at least 1 (got {limit})", hint="e.g. --limit 20")
    if index_dir is None:
        from kb.store.locate import index_dir_for

        index_dir = index_dir_for(root)
    healed = 0
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        ix = open_index(root, index_dir, notice=notice, progress=progress)
        try:
            return _run(ix, query_text, limit=limit, status=status, facets=facets)
        except KbError:
            raise
        except Exception as exc:  # a verified read: a damaged index is healed, a swapped one reopened
            if healed >= RETRIES or time.monotonic() > deadline:
                raise
            healed += recover(root, index_dir, ix, exc, notice=notice)
        finally:
            ix.close()


def _run(ix: Any, query_text: str, *, limit: int | None, status: str | None,
         facets: tuple[str, ...]) -> SearchOutcome:
    word_list: list[str] = []

    def words() -> list[str]:
        if not word_list:
            word_list.extend(index_words(ix))
        return word_list

    capped: list[str] = []
    q = parse_query(ix.schema, _drop_question_words(query_text), status=status, words=words, capped=capped)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        hints = vocabulary_hints(query_text, reader, ix.schema["statement"].analyzer, index_vocabulary(ix))
        wanted = None if limit is None else max(limit, RESCORE_DEPTH)
        results = searcher.search(q, limit=wanted)
        top = results[:RESCORE_DEPTH] if wanted is None else results
        query_terms = _query_terms(q, reader)
        matched = _matched_terms_of(reader, query_terms, [r.docnum for r in top])
        candidates = [(r.score, matched[r.docnum], r.fields()) for r in top]
        order = rescore(candidates, len(query_terms), hints)
        ranked = [candidates[i] for i in order]
        if wanted is None and len(results) > RESCORE_DEPTH:
            ranked += [(r.score, frozenset(), r.fields()) for r in results[RESCORE_DEPTH:]]
        total, exact = _count(searcher, q, results, wanted)
        analyzer = ix.schema["statement"].analyzer
        terms = _matched_terms(q, reader)
        shown = ranked[:limit] if limit is not None else ranked
        hits = [_hit(stored, score, _highlight_spans(stored["statement"], analyzer, terms))
                for score, _, stored in shown]
        counts = {}
        if facets:
            every = ranked if wanted is None else [(0, 0, stored) for stored in _all_stored(searcher, q)]
            counts = {name: _facet_counts([stored["data"] for _, _, stored in every], name) for name in facets}
        suggestion = suggest(query_text, words()) if not total else None
    if capped:
        exact = False
    return SearchOutcome(hits=hits, total=total, exact=exact, facets=counts, suggestion=suggestion,
                         capped=capped)


def search(root: Path, query_text: str, *, limit: int | None = 10, status: str | None = None,
           index_dir: Path | None = None) -> list[Hit]:
    """Ranked hits for ``query_text`` in the base at ``root``; ``limit=None`` for all of them.

    ``status`` keeps only claims with that review status. Raises ``BadInput`` for a
    query that cannot be parsed; returns ``[]`` when nothing matches.
    """
    return run_search(root, query_text, limit=limit, status=status, index_dir=index_dir).hits


def search_ids(root: Path, query_text: str, *, limit: int | None = None, status: str | None = None,
               index_dir: Path | None = None) -> list[str]:
    """Claim ids matching ``query_text``, best first (all of them unless ``limit``)."""
    return [hit.id for hit in search(root, query_text, limit=limit, status=status, index_dir=index_dir)]


__all__ = ["Hit", "SearchOutcome", "make_parser", "parse_query", "run_search", "search",
           "search_ids", "slug"]
