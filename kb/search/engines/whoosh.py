"""The Whoosh engine: kb's query tree translated to Whoosh queries (the index files, their
generations and healing are in :mod:`kb.search.index`)."""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kb.errors import KbError
from kb.search import query as kq
from kb.search.index import (
    FIELD_BOOSTS,
    RETRIES,
    RETRY_SECONDS,
    TEXT_FIELDS,
    index_command,
    index_vocabulary,
    index_words,
    open_index,
    recover,
    slug,
)
from kb.search.ranking import RESCORE_DEPTH, Candidate

T = TypeVar("T")

MAX_EXPANSIONS = 512
"""Words one fuzzy or wildcard term may stand for. Past it the term is searched with the
first ``MAX_EXPANSIONS`` words (alphabetically), and the outcome says so (``capped``) and
marks its count as a lower bound."""


def close_words(text: str, words: list[str], maxdist: int = 1, prefix: int = 0) -> list[str]:
    """Words of the sorted list ``words`` within ``maxdist`` edits of ``text``, closest first."""
    from whoosh.automata.fsa import find_all_matches
    from whoosh.automata.lev import levenshtein_automaton

    def at_or_after(key: str) -> str | None:
        i = bisect_left(words, key)
        return words[i] if i < len(words) else None

    found: dict[str, None] = {}
    if at_or_after(text) == text:
        found[text] = None
    for distance in range(1, maxdist + 1):
        dfa = levenshtein_automaton(text, distance, prefix).to_dfa()
        for word in find_all_matches(dfa, at_or_after):
            found.setdefault(word, None)
    return list(found)


def loose_words(node: kq.Wildcard | kq.Fuzzy, words: list[str], capped: list[str] | None = None) -> list[str]:
    """Words of the index (as written) that a fuzzy (``word~``) or wildcard (``exp*``) term
    matches, at most ``MAX_EXPANSIONS``; a term that matches more is added to ``capped``.
    A plain prefix is a slice of the sorted word list; other patterns are matched against
    the words that share their literal prefix."""
    if isinstance(node, kq.Fuzzy):
        found = close_words(node.text, words, node.maxdist)
        label = f"{node.text}~"
    else:
        pattern_text = node.pattern
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


def _text(term: Any) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


class WhooshSession:
    """One open Whoosh index (see :class:`kb.search.engines.Session`)."""

    def __init__(self, ix: Any, searcher: Any) -> None:
        self.ix, self.searcher, self.reader = ix, searcher, searcher.reader()
        self.analyzer = ix.schema["statement"].analyzer
        self._words: list[str] | None = None
        self._queries: dict[int, Any] = {}
        self.capped: list[str] = []

    # --- translation ---------------------------------------------------------------------

    def _stems(self, text: str) -> list[str]:
        return [t.text for t in self.analyzer(text)]

    def _text(self, stems: list[str], fieldname: str | None, weight: float) -> Any:
        from whoosh import query as wq

        fields = [fieldname] if fieldname else list(TEXT_FIELDS)
        if not stems:
            return None
        parts = []
        for f in fields:
            boost = FIELD_BOOSTS.get(f, 1.0) * weight
            parts.append(wq.Term(f, stems[0], boost=boost) if len(stems) == 1 else wq.Phrase(f, stems, boost=boost))
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    def query(self, node: kq.Node) -> Any:
        """The Whoosh query of a tree (``NullQuery`` for one that can match nothing)."""
        from whoosh import query as wq

        key = id(node)
        if key not in self._queries:
            self._queries[key] = (node, self._translate(node) or wq.NullQuery)
        return self._queries[key][1]

    def _translate(self, node: kq.Node) -> Any:
        from whoosh import query as wq

        if isinstance(node, kq.Term):
            return self._text(self._stems(node.text), node.field, node.weight)
        if isinstance(node, kq.Phrase):
            return self._text(self._stems(" ".join(node.words)), node.field, node.weight)
        if isinstance(node, kq.Filter):
            if node.field == "id":
                return wq.Term("id", node.value)
            return wq.Term(node.field, slug(node.value))
        if isinstance(node, kq.Range):
            lo, hi = node.lo, node.hi
            if node.field == "year":
                import math

                lo = None if lo is None else int(math.ceil(lo))
                hi = None if hi is None else int(math.floor(hi))
            return wq.NumericRange(node.field, lo, hi, startexcl=not node.lo_inclusive,
                                   endexcl=not node.hi_inclusive)
        if isinstance(node, (kq.Wildcard, kq.Fuzzy)):
            if node.field is not None and node.field not in TEXT_FIELDS:
                return wq.Wildcard(node.field, node.pattern) if isinstance(node, kq.Wildcard) else \
                    wq.FuzzyTerm(node.field, node.text, maxdist=node.maxdist)
            matches = loose_words(node, self.words(), self.capped)
            parts = [q for q in (self._text(self._stems(w), node.field, 1.0) for w in matches) if q is not None]
            return wq.Or(parts) if parts else None
        if isinstance(node, kq.Not):
            child = self._translate(node.child)
            return wq.Not(child) if child is not None else None
        if isinstance(node, kq.Or):
            parts = [q for q in (self._translate(c) for c in node.children) if q is not None]
            return None if not parts else parts[0] if len(parts) == 1 else wq.Or(parts)
        if isinstance(node, kq.And):
            # a required word the analyzer drops (a stop word) restricts nothing
            required = [q for q in (self._translate(c) for c in node.children) if q is not None]
            optional = [q for q in (self._translate(c) for c in node.optional) if q is not None]
            if not required:
                return wq.Or(optional) if optional else None
            must = required[0] if len(required) == 1 else wq.And(required)
            if not optional:
                return must
            return wq.AndMaybe(must, optional[0] if len(optional) == 1 else wq.Or(optional))
        raise TypeError(f"not a query node: {node!r}")

    # --- the protocol -------------------------------------------------------------------

    def _text_query(self, tree: kq.Node) -> Any:
        """The words, phrases, wildcards and fuzzy words of the tree outside NOT, OR'ed (Whoosh's
        ``AndMaybe`` leaves its optional part out of ``existing_terms``)."""
        from whoosh import query as wq

        parts = [self.query(leaf) for leaf in kq.text_leaves(tree)]
        return wq.Or([p for p in parts if p is not wq.NullQuery])

    def _terms(self, tree: kq.Node) -> set[tuple[str, Any]]:
        q = self._text_query(tree)
        return {(f, t) for f, t in q.existing_terms(self.reader, phrases=False, expand=True) if f in TEXT_FIELDS}

    def terms(self, tree: kq.Node) -> int:
        return len(self._terms(tree))

    def search(self, tree: kq.Node, depth: int | None) -> list[Candidate]:
        q = self.query(tree)
        results = self.searcher.search(q, limit=depth)
        top = list(results)
        single = self._terms(tree)
        every = {(f, t) for f, t in self._text_query(tree).existing_terms(self.reader, phrases=True, expand=True)
                 if f in TEXT_FIELDS}
        held = self._matched(single | every, [r.docnum for r in top[:RESCORE_DEPTH]])
        out = []
        for r in top:
            found = held.get(r.docnum, frozenset())
            out.append(Candidate(id=r["id"], score=float(r.score), stored=r.fields(),
                                 matched=frozenset((f, _text(t)) for f, t in found if (f, t) in single),
                                 words=frozenset(_text(t) for _, t in found)))
        return out

    def _matched(self, terms: set[tuple[str, Any]], docnums: list[int]) -> dict[int, frozenset]:
        """Which of the query's terms each of a few documents holds: one pass along each
        term's postings, skipping to the documents in order (cheaper than ``terms=True``)."""
        found: dict[int, set] = {d: set() for d in docnums}
        order = sorted(found)
        for fieldname, text in terms:
            try:
                postings = self.reader.postings(fieldname, text)
            except Exception:  # noqa: BLE001 (TermNotFound: the term is in no document)
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

    def count(self, tree: kq.Node) -> int:
        return sum(1 for _ in self.searcher.docs_for_query(self.query(tree)))

    def stored(self, tree: kq.Node) -> list[dict[str, Any]]:
        return [self.searcher.stored_fields(d) for d in self.searcher.docs_for_query(self.query(tree))]

    def highlight_terms(self, tree: kq.Node) -> set[str]:
        q = self._text_query(tree)
        return {t.decode("utf-8") if isinstance(t, bytes) else t
                for f, t in q.existing_terms(self.reader, phrases=True, expand=True) if f in TEXT_FIELDS}

    def highlights(self, text: str, terms: set[str]) -> list[tuple[int, int]]:
        if not terms:
            return []
        return [(t.startchar, t.endchar) for t in self.analyzer(text, chars=True) if t.text in terms]

    def words(self) -> list[str]:
        if self._words is None:
            self._words = index_words(self.ix)
        return self._words

    def values(self, fieldname: str) -> list[str]:
        return [t.decode("utf-8") for t in self.reader.lexicon(fieldname)]

    def vocabulary(self) -> dict[str, dict[str, str]]:
        return index_vocabulary(self.ix)

    def stem(self, text: str) -> str:
        return "-".join(t.text for t in self.analyzer(text, removestops=False))


class WhooshEngine:
    """Whoosh (the default): see :mod:`kb.search.index` for the files."""

    name = "whoosh"

    def __init__(self, root: Path, index_dir: Path, *, notice: Any = None, progress: Any = None) -> None:
        self.root, self.index_dir, self.notice, self.progress = root, index_dir, notice, progress

    def run(self, work: Callable[[WhooshSession], T]) -> T:
        healed = 0
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            ix = open_index(self.root, self.index_dir, notice=self.notice, progress=self.progress)
            try:
                with ix.searcher() as searcher:
                    return work(WhooshSession(ix, searcher))
            except KbError:
                raise
            except Exception as exc:  # a verified read: a damaged index is healed, a swapped one reopened
                if healed >= RETRIES or time.monotonic() > deadline:
                    raise
                healed += recover(self.root, self.index_dir, ix, exc, notice=self.notice)
            finally:
                ix.close()

    def build(self, *, rebuild: bool = False) -> Any:
        return index_command(self.root, self.index_dir, rebuild_all=rebuild, notice=self.notice,
                             progress=self.progress)
