"""Typed links between claims: the link graph, its checks, and suggested ``repeats`` pairs.

A claim stores its *outgoing* links only (``links: [{rel, id, note}]``); the links
pointing at a claim are computed from the others, never stored twice. The checks
(:func:`link_problems`, run by ``kb verify``): the target exists in a claims file of
the base; no claim links to itself; no claim lists one link twice; no pair both
supports and contradicts (either way); no ``updates`` cycle of any length; a
``repeats`` pair holds no other relation, either way (``repeats`` is symmetric: one
way is enough).

:func:`suggest_repeats` proposes pairs that may state the same fact, for a reviewer
to confirm with ``kb links add``: text similarity of statements and of quotes
(rapidfuzz ratios over the words that are not common in the base), pairs
whose statements give different numbers, whose quotes share text in the document
(one passage split into several facts) or that are linked already left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import BadInput, Problem
from kb.model.numbers import number_tokens
from kb.model.schema import CLAIM_ID, Claim, Link
from kb.store.loader import KnowledgeBase, did_you_mean

RELS: tuple[str, ...] = ("repeats", "supports", "contradicts", "updates", "qualifies")
"""The relations a link may state (the order in which they are listed)."""

OUTGOING: dict[str, str] = {"repeats": "Repeats", "supports": "Supports", "contradicts": "Contradicts",
                            "updates": "Updates", "qualifies": "Qualifies"}
"""How a claim's own link reads: "Repeats ctf-0302"."""
INCOMING: dict[str, str] = {"repeats": "Repeated by", "supports": "Supported by",
                            "contradicts": "Contradicted by", "updates": "Updated by",
                            "qualifies": "Qualified by"}
"""How a link pointing at a claim reads from that claim: "Contradicted by ctf-0042"."""

CHECKS: dict[str, str] = {
    "link-target-missing": "a link names a claim that is in no claims file of the base",
    "link-self": "a claim links to itself",
    "link-duplicate": "a claim lists the same link twice",
    "link-supports-contradicts": "two claims both support and contradict each other",
    "link-repeats-conflict": "two claims that repeat each other are also linked by another relation",
    "link-updates-cycle": "claims update each other in a cycle",
}
"""The checks :func:`link_problems` makes, for ``kb verify``'s list of checks."""

DEFAULT_MIN_SCORE = 80.0
"""Default ``--min-score`` of ``kb links suggest`` (0-100): measured on the bundled base
(tests/data/links-gold.yaml), see the README section 'Claims that know each other'."""

COMMON_SHARE = 0.15
"""Words in more than this share of the base's statements carry no meaning for similarity."""


# --- the graph --------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    """One stored link: ``source`` (the claim that carries it) ``rel`` ``target``."""

    source: str
    rel: str
    target: str
    note: str = ""

    def outgoing(self) -> dict[str, str]:
        """As stored on its source claim: ``{rel, id, note}``."""
        return {"rel": self.rel, "id": self.target, "note": self.note}

    def incoming(self) -> dict[str, str]:
        """As seen from its target claim: ``{rel, id, note}`` with ``id`` the claim that links."""
        return {"rel": self.rel, "id": self.source, "note": self.note}


@dataclass
class LinkGraph:
    """Every link of a base, outgoing and incoming; build it once with :meth:`of` for many lookups."""

    edges: list[Edge] = field(default_factory=list)
    _out: dict[str, list[Edge]] = field(default_factory=dict, repr=False)
    _in: dict[str, list[Edge]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, kb: KnowledgeBase) -> LinkGraph:
        graph = cls()
        for claim in kb:
            for link in claim.links:
                edge = Edge(claim.id, link.rel, link.id, link.note)
                graph.edges.append(edge)
                graph._out.setdefault(claim.id, []).append(edge)
                graph._in.setdefault(link.id, []).append(edge)
        return graph

    def outgoing(self, claim_id: str) -> list[Edge]:
        return list(self._out.get(claim_id, []))

    def incoming(self, claim_id: str) -> list[Edge]:
        """Links other claims (or the claim itself) hold that name ``claim_id``, in the base's order."""
        return list(self._in.get(claim_id, []))

    def between(self, a: str, b: str) -> list[Edge]:
        """The links from ``a`` to ``b`` and from ``b`` to ``a``."""
        return [e for e in self._out.get(a, []) if e.target == b] + \
            [e for e in self._out.get(b, []) if e.target == a]

    def linked_ids(self, claim_id: str) -> list[str]:
        """Ids of the claims linked to ``claim_id`` either way, each once, in order."""
        ids = [e.target for e in self._out.get(claim_id, [])] + [e.source for e in self._in.get(claim_id, [])]
        return list(dict.fromkeys(i for i in ids if i != claim_id))


def links_of(kb: KnowledgeBase, claim: Claim) -> list[dict[str, str]]:
    """The claim's outgoing links as records: ``[{rel, id, note}]`` (``kb show --json``'s ``links``)."""
    return [link.model_dump(mode="json") for link in claim.links]


def linked_from(kb: KnowledgeBase, claim: Claim, graph: LinkGraph | None = None) -> list[dict[str, str]]:
    """Links other claims hold to this one: ``[{rel, id, note}]``, ``id`` being the linking claim.

    Pass a :class:`LinkGraph` built once when asking for many claims (an export).
    """
    graph = graph or LinkGraph.of(kb)
    return [e.incoming() for e in graph.incoming(claim.id) if e.source != claim.id]


def link_lines(kb: KnowledgeBase, claim: Claim, graph: LinkGraph | None = None) -> list[tuple[str, str, str | None]]:
    """For a person: ``(phrase, other id, other statement or None)``, outgoing first, then incoming.

    ``("Repeats", "ctf-0302", "Barnardo's checklist ...")``, ``("Contradicted by", "ctf-0042", ...)``;
    the statement is None when the other claim is not in the base.
    """
    def statement(claim_id: str) -> str | None:
        other = kb.claims.get(claim_id)
        return other.statement if other else None

    lines = [(OUTGOING[link.rel], link.id, statement(link.id)) for link in claim.links]
    lines += [(INCOMING[r["rel"]], r["id"], statement(r["id"])) for r in linked_from(kb, claim, graph)]
    return lines


def link_fields(graph: LinkGraph, claim_id: str) -> dict[str, list[str]]:
    """What a search index holds for the ``rel:`` and ``linked:`` filters of one claim.

    ``rel``: the relations of the links touching the claim, either way (a claim that
    is contradicted has a ``contradicts`` link as much as the one that contradicts);
    ``linked``: the ids of the claims linked to it, either way.
    """
    rels = [e.rel for e in graph.outgoing(claim_id)] + [e.rel for e in graph.incoming(claim_id)]
    return {"rel": sorted(set(rels), key=RELS.index), "linked": graph.linked_ids(claim_id)}


# --- the checks -------------------------------------------------------------------


def link_problems(kb: KnowledgeBase) -> list[Problem]:
    """Every problem of the base's links, each at the file and line of the claim that holds the link."""
    graph = LinkGraph.of(kb)
    problems: list[Problem] = []

    def add(edge: Edge, check: str, message: str, hint: str) -> None:
        where = kb.locations.get(edge.source)
        problems.append(Problem(where.path if where else None, where.line if where else None, edge.source,
                                check, message, hint))

    for claim in kb:
        seen: set[tuple[str, str]] = set()
        for edge in graph.outgoing(claim.id):
            if (edge.rel, edge.target) in seen:
                add(edge, "link-duplicate", f"{edge.source} lists the link '{edge.rel} {edge.target}' twice",
                    "remove one of them")
                continue
            seen.add((edge.rel, edge.target))
            if edge.target == claim.id:
                add(edge, "link-self", f"{edge.source} links to itself ({edge.rel} {edge.target})",
                    "a link names another claim: fix the id or remove the link")
            elif edge.target not in kb.claims:
                add(edge, "link-target-missing",
                    f"{edge.source} {edge.rel} {edge.target}, which is in no claims file of the base",
                    did_you_mean(edge.target, kb.claims, "fix the id, or remove the link"))
    _pair_problems(kb, graph, add)
    _cycle_problems(kb, graph, add)
    return problems


def _pair_problems(kb: KnowledgeBase, graph: LinkGraph, add: Callable[..., None]) -> None:
    """Relations that cannot hold together between one pair of claims: a problem at each link that conflicts."""
    pairs: dict[frozenset[str], list[Edge]] = {}
    for edge in graph.edges:
        if edge.source != edge.target and edge.target in kb.claims:
            pairs.setdefault(frozenset((edge.source, edge.target)), []).append(edge)
    for edges in pairs.values():
        rels = {e.rel for e in edges}
        if {"supports", "contradicts"} <= rels:
            support = next(e for e in edges if e.rel == "supports")
            for contra in (e for e in edges if e.rel == "contradicts"):
                add(contra, "link-supports-contradicts",
                    f"{contra.source} contradicts {contra.target}, and {support.source} supports {support.target}",
                    "two claims cannot both support and contradict each other: keep the relation that holds")
        if "repeats" in rels:
            repeat = next(e for e in edges if e.rel == "repeats")
            for other in (e for e in edges if e.rel != "repeats"):
                add(other, "link-repeats-conflict",
                    f"{other.source} {other.rel} {other.target}, but {repeat.source} repeats {repeat.target}",
                    "claims that state the same fact hold no other relation: remove one of the links")


def _cycle_problems(kb: KnowledgeBase, graph: LinkGraph, add: Callable[..., None]) -> None:
    """One problem per cycle of ``updates`` links (of any length), at the cycle's first claim."""
    successors: dict[str, list[Edge]] = {}
    for edge in graph.edges:
        if edge.rel == "updates" and edge.source != edge.target and edge.target in kb.claims:
            successors.setdefault(edge.source, []).append(edge)
    order = list(kb.claims)
    for component in _strong_components(order, {k: [e.target for e in v] for k, v in successors.items()}):
        if len(component) < 2:
            continue
        start = min(component, key=order.index)
        path, edges, node = [start], [], start
        while True:  # walk inside the component until a claim comes round again
            edge = next(e for e in successors[node] if e.target in component)
            edges.append(edge)
            node = edge.target
            if node in path:
                cycle_edges = edges[path.index(node):]
                break
            path.append(node)
        chain = " updates ".join([e.source for e in cycle_edges] + [cycle_edges[0].source])
        add(cycle_edges[-1], "link-updates-cycle", f"updates cycle: {chain}",
            "a newer figure updates an older one, never the other way: remove or reverse one link")


def _strong_components(nodes: list[str], successors: dict[str, list[str]]) -> Iterator[set[str]]:
    """Tarjan's strongly connected components, without recursion (a long chain of updates is fine)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(successors.get(root, [])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                yield component


# --- suggested repeats ------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """Two claims that may state the same fact, with how alike they are (0-100)."""

    a: str
    b: str
    score: float
    """What ``--min-score`` compares: (2 x statement_score + quote_score) / 3."""
    statement_score: float
    """Statements alike: the mean of rapidfuzz's token_set_ratio (shared words) and token_sort_ratio
    (all words, so a short statement inside a long one scores lower)."""
    quote_score: float
    """Quotes alike: token_set_ratio."""

    def to_dict(self, kb: KnowledgeBase) -> dict[str, Any]:
        return {
            "score": round(self.score, 1),
            "statement_score": round(self.statement_score, 1),
            "quote_score": round(self.quote_score, 1),
            "a": {"id": self.a, "statement": kb.claims[self.a].statement},
            "b": {"id": self.b, "statement": kb.claims[self.b].statement},
        }


_WORD = re.compile(r"\w+(?:'\w+)*")


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.findall(text)


def _common_words(claims: list[Claim]) -> set[str]:
    """Words found in more than :data:`COMMON_SHARE` of the statements (and in more than five)."""
    counts = Counter(w for c in claims for w in set(_words(c.statement)))
    cut = max(COMMON_SHARE * len(claims), 5)
    return {w for w, n in counts.items() if n > cut}


def _numbers(claim: Claim) -> frozenset[str]:
    return frozenset(t.value for t in number_tokens(claim.statement))


def suggest_repeats(kb: KnowledgeBase, min_score: float = DEFAULT_MIN_SCORE,
                    limit: int | None = None) -> list[Suggestion]:
    """Pairs of claims that may repeat each other, best first, scoring at least ``min_score``.

    Left out: pairs linked already (any relation, either way), pairs whose statements
    give different numbers, and pairs whose quotes overlap in their document (one
    passage split into several facts is no repetition).
    """
    from rapidfuzz import fuzz, process

    claims = list(kb)
    common = _common_words(claims)

    def text(value: str) -> str:
        return " ".join(w for w in _words(value) if w not in common)

    statements = [text(c.statement) for c in claims]
    quotes = [text(c.quote_text) for c in claims]
    numbers = [_numbers(c) for c in claims]
    graph = LinkGraph.of(kb)
    anchors: dict[str, list[tuple[int, int]]] = {}

    def spans(claim: Claim) -> list[tuple[int, int]]:
        if claim.id not in anchors:
            document = kb.document(claim.document)
            found = document.anchor_fragments(claim.fragments) if document is not None else []
            anchors[claim.id] = [(a.start, a.end) for a in found if a is not None]
        return anchors[claim.id]

    # score <= (2 x set + quote) / 3 since token_sort_ratio <= token_set_ratio (up to repeated words,
    # hence the margin), and quote <= 100: a pair whose statements' set ratio is under this cut
    # cannot reach min_score
    cutoff = max(0.0, (3 * min_score - 100) / 2 - 5)
    found: list[Suggestion] = []
    for i, statement in enumerate(statements):
        if not statement:
            continue
        rest = statements[i + 1:]
        for _, set_score, offset in process.extract(statement, rest, scorer=fuzz.token_set_ratio, limit=None,
                                                    score_cutoff=cutoff):
            j = i + 1 + offset
            s_score = (set_score + fuzz.token_sort_ratio(statement, statements[j])) / 2
            q_score = fuzz.token_set_ratio(quotes[i], quotes[j])
            score = (2 * s_score + q_score) / 3
            if score < min_score or numbers[i] != numbers[j]:
                continue
            a, b = claims[i], claims[j]
            if graph.between(a.id, b.id):
                continue
            if a.document == b.document and any(s < e2 and s2 < e for s, e in spans(a) for s2, e2 in spans(b)):
                continue
            found.append(Suggestion(a.id, b.id, score, s_score, q_score))
    found.sort(key=lambda s: (-s.score, s.a, s.b))
    return found[:limit] if limit is not None else found


def terminal_safe(text: str) -> str:
    """``text`` with control and format characters shown as escapes, so a base cannot drive a terminal."""
    return "".join(ch if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp") or ch == " "
                   else ch.encode("unicode_escape").decode("ascii") for ch in text)


# --- adding a link ----------------------------------------------------------------


def add_link(kb: KnowledgeBase, claim_id: str, rel: str, target: str, note: str = "") -> Link:
    """Add the link ``claim_id rel target`` to the claim's file; refused when ``kb verify`` would reject it.

    Returns the link as read back from the file.
    """
    if rel not in RELS:
        raise BadInput(f"unknown relation '{rel}'", hint=f"use one of: {', '.join(RELS)}")
    if not CLAIM_ID.match(target):
        raise BadInput(f"'{target}' is not a claim id", hint="claim ids look like ctf-0042")
    claim = kb.claim(claim_id)
    kb.claim(target)  # an unknown target is an error naming close ids
    link = Link(rel=rel, id=target, note=" ".join(note.split()))  # type: ignore[arg-type]
    if target == claim_id:
        raise BadInput(f"{claim_id} cannot link to itself", hint="name another claim")
    if any(existing.rel == rel and existing.id == target for existing in claim.links):
        raise BadInput(f"{claim_id} already {rel} {target}", hint=f"see it with 'kb show {claim_id}'")
    before = {str(p) for p in link_problems(kb)}
    trial = KnowledgeBase(root=kb.root, index_dir=kb.index_dir, vocabulary=kb.vocabulary,
                          claims={**kb.claims, claim_id: claim.model_copy(update={"links": [*claim.links, link]})},
                          locations=kb.locations)
    new = [p for p in link_problems(trial) if str(p) not in before]
    if new:
        raise BadInput(f"the link would break a rule of links: {new[0]}")
    path = kb.locations[claim_id].path
    _write_link(kb.root, path, claim_id, link.model_dump(mode="json", exclude_defaults=True))
    return link


def _write_link(root: Path, path: Path, claim_id: str, link: dict[str, str]) -> None:
    """The one file write of ``kb links add``: through :func:`kb.store.edit.edit_claim` (the base's
    write lock, the file re-read under it, only the claim's own lines changed, written atomically
    and read back), the link appended to the claim's ``links`` in flow style
    (``{rel: repeats, id: ctf-0302}``), after the claim's other fields when it has none yet.
    """
    from kb.store.edit import edit_claim

    try:
        edit_claim(root, path, claim_id, lambda item: _append_link(item, link))
    except BadInput as exc:
        if "flow style" not in exc.message:
            raise
        raise BadInput(exc.message, hint=f"add it by hand: links: [{{rel: {link['rel']}, id: {link['id']}}}]") from None


def _append_link(item: Any, link: dict[str, str]) -> None:
    """Append ``link`` to the claim ``item`` (a ruamel ``CommentedMap``) as a flow mapping."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    entry = CommentedMap(link)
    entry.fa.set_flow_style()
    links = item.get("links")
    if links is None:
        item.insert(len(item), "links", CommentedSeq([entry]))
    elif isinstance(links, list):
        links.append(entry)
    else:
        raise BadInput(f"claim {item.get('id')} has a 'links' field that is not a list",
                       hint="make 'links' a list of {rel, id, note} mappings")
