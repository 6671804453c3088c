"""The tantivy engine (``engine: tantivy`` in ``kb.yaml``): the same fields, generations,
lock and healing as Whoosh, with tantivy's index files in each generation.

Files under ``index/tantivy/``: ``CURRENT``, ``.lock``, ``g-<stamp>/`` with ``tantivy/``
(the index), ``stats.json``, ``state.json``, ``words.txt`` and ``vocabulary.json``, as
:mod:`kb.search.index` describes them. Imported only when a base chooses tantivy.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kb.errors import InvalidKnowledgeBase, KbError, WriteError
from kb.search import generations as gens
from kb.search import query as kq
from kb.search.documents import claim_document, slug, text_words
from kb.search.engines.whoosh import loose_words
from kb.search.generations import RefreshReport
from kb.search.index import FIELD_BOOSTS, TEXT_FIELDS
from kb.search.ranking import RESCORE_DEPTH, Candidate

log = logging.getLogger(__name__)
T = TypeVar("T")

SCHEMA_VERSION = 2
TAG_FIELDS = ("kind", "place", "topic", "source", "citekey", "period", "status", "document")
STOP_WORDS = ["a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "have", "if", "in", "is",
              "it", "may", "not", "of", "on", "or", "tbd", "that", "the", "this", "to", "us", "we", "when",
              "will", "with", "yet", "you", "your"]
"""Whoosh's stop words, so both engines drop the same words."""
_TOKEN = r"\w+(?:\.?\w+)*"
HEAP_BYTES = 256 << 20


def _analyzer(stops: bool) -> Any:
    import tantivy

    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(_TOKEN)).filter(tantivy.Filter.lowercase())
    if stops:
        builder = builder.filter(tantivy.Filter.custom_stopword(STOP_WORDS))
    return builder.filter(tantivy.Filter.stemmer("english")).build()


_ANALYZERS: dict[bool, Any] = {}


def analyze(text: str, stops: bool = True) -> list[str]:
    if stops not in _ANALYZERS:
        _ANALYZERS[stops] = _analyzer(stops)
    return [t for t in _ANALYZERS[stops].analyze(text) if len(t) > 1 or t.isdigit()]


def make_schema() -> Any:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        sb.add_text_field(name, stored=name == "statement", tokenizer_name="kb_stem")
    for name in TAG_FIELDS:
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("year", indexed=True, fast=True)
    sb.add_float_field("value", indexed=True, fast=True)
    sb.add_bytes_field("data", stored=True)
    sb.add_bytes_field("stems", stored=True)  # per text field, its distinct stems (for re-scoring)
    return sb.build()


def _open(path: Path | None) -> Any:
    import tantivy

    ix = tantivy.Index(make_schema(), path=str(path) if path else None, reuse=True)
    ix.register_tokenizer("kb_stem", _analyzer(True))
    return ix


def tantivy_document(doc: dict[str, Any]) -> Any:
    """A claim's document (:func:`kb.search.documents.claim_document`) as tantivy takes it."""
    import tantivy

    out = tantivy.Document()
    out.add_text("id", doc["id"])
    for name in TEXT_FIELDS:
        out.add_text(name, doc[name] or "")
    for name in TAG_FIELDS:
        for value in (doc[name] or "").split(","):
            if value.strip():
                out.add_text(name, slug(value.strip()))
    for year in doc.get("year", []):
        out.add_integer("year", int(year))
    for value in doc.get("value", []):
        out.add_float("value", float(value))
    out.add_bytes("data", json.dumps(doc["data"], ensure_ascii=False).encode("utf-8"))
    stems = {name: " " + " ".join(sorted(set(analyze(doc[name] or "")))) + " " for name in TEXT_FIELDS}
    out.add_bytes("stems", json.dumps(stems, ensure_ascii=False).encode("utf-8"))
    return out


class TantivyGeneration(gens.Generation):
    """A generation whose index files are tantivy's (``g-*/tantivy``)."""

    engine = "tantivy"
    marker = "meta.json"
    rewritten = (".json",)  # meta.json and .managed.json are rewritten in place

    def open(self, verify: bool = True) -> Any:
        if not self.path.is_dir():
            raise gens._Vanished(f"{self.path.name} is gone")
        if verify and self.index_bytes() <= gens.VERIFY_BYTES:
            bad = self.damaged_files()
            if bad:
                raise gens._Corrupt(f"{', '.join(bad[:3])} fail{'s' if len(bad) == 1 else ''} its checksum")
        try:
            ix = _open(self.files_dir)
            count = ix.searcher().num_docs
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            if self.deleted():
                raise gens._Vanished(f"{self.path.name} is gone") from exc
            raise gens._Corrupt(f"{type(exc).__name__}: {exc}") from exc
        if count != self.stats.get("docs"):
            raise gens._Corrupt(f"it holds {count} claims where its manifest says {self.stats.get('docs')}")
        return ix


def _current(index_dir: Path) -> TantivyGeneration | None:
    return gens.current_generation(index_dir, TantivyGeneration)


def _fresh(gen: TantivyGeneration, snap: gens.Snapshot) -> bool:
    s = gen.stats
    return (s.get("schema") == f"tantivy-{SCHEMA_VERSION}" and s.get("files") == snap.files
            and s.get("bib") == snap.bib and s.get("vocabulary") == snap.vocabulary)


def _write_manifests(gen: TantivyGeneration, snap: gens.Snapshot, state: dict[str, Any], docs: int) -> None:
    gen.write_manifests(snap, state, docs, f"tantivy-{SCHEMA_VERSION}")


def _add_all(ix: Any, root: Path, snap: gens.Snapshot, progress: Any) -> tuple[dict[str, Any], set[str], int]:
    sources = gens._read_sources(root)
    files: dict[str, dict[str, str]] = {}
    words: set[str] = set()
    seen: set[str] = set()

    def write(writer: Any) -> None:
        rels = sorted(snap.files)
        for done, rel in enumerate(rels, 1):
            entries = {}
            for claim in gens._read_claims(root / rel):
                doc, key = claim_document(claim, sources)
                entries[claim.id] = key
                if claim.id in seen:
                    continue
                seen.add(claim.id)
                words.update(text_words(f"{doc['statement']} {doc['quote']}"))
                writer.add_document(tantivy_document(doc))
            files[rel] = entries
            if progress:
                progress(done, len(rels))

    _write(ix, write)
    return {"files": files, "sources": sources}, words, len(seen)


def _write(ix: Any, work: Callable[[Any], None]) -> None:
    """Run ``work(writer)`` and commit, or roll back on any failure; the index then reloads."""
    writer = ix.writer(HEAP_BYTES, 1)
    try:
        work(writer)
        writer.commit()
        writer.wait_merging_threads()
    except BaseException:
        writer.rollback()
        raise
    ix.reload()


def rebuild(root: Path, index_dir: Path, snap: gens.Snapshot, progress: Any = None) -> RefreshReport:
    """A new generation beside the live one, swapped in by ``CURRENT`` (caller holds the lock)."""
    import shutil

    started = time.perf_counter()
    base = gens._new_generation(index_dir)
    gen = TantivyGeneration(base.path)
    try:
        gen.files_dir.mkdir()
        ix = _open(gen.files_dir)
        state, words, count = _add_all(ix, root, snap, progress)
        gen.write_words(words)
        gen.write_vocabulary(root)
        _write_manifests(gen, snap, state, count)
        gens.atomic_write_text(index_dir / "CURRENT", gen.path.name + "\n")
    except BaseException:
        shutil.rmtree(gen.path, ignore_errors=True)
        raise
    gens._remove_old_generations(index_dir, keep=gen.path.name)
    return RefreshReport(claims=count, indexed=count, files_parsed=len(snap.files), rebuilt=True,
                         seconds=time.perf_counter() - started)


def update(root: Path, gen: TantivyGeneration, ix: Any, snap: gens.Snapshot) -> RefreshReport:
    """Re-index the claims of changed files whose fingerprint or status changed; delete gone ones."""
    started = time.perf_counter()
    old = gen.stats
    state = gen.read_state()
    old_files: dict[str, dict[str, str]] = state.get("files", {})
    sources = state.get("sources", {})
    to_parse = {rel for rel, st in snap.files.items() if old.get("files", {}).get(rel) != st}
    if snap.bib != old.get("bib"):
        new_sources = gens._read_sources(root)
        if new_sources != sources:
            to_parse = set(snap.files)  # rare: re-read every claim file, re-index what changed
            old_files = {rel: {cid: "" for cid in entries} for rel, entries in old_files.items()}
        sources = new_sources
    new_files, fresh, words, gone = gens.diff_claims(root, snap, old_files, to_parse, sources)
    if fresh or gone:
        def write(writer: Any) -> None:
            for cid in gone + list(fresh):
                writer.delete_documents_by_term("id", cid)
            for doc in fresh.values():
                writer.add_document(tantivy_document(doc))

        _write(ix, write)
    if words:
        known = set(gen.read_words())
        if not words <= known:
            gen.write_words(known | words)
    if snap.vocabulary != old.get("vocabulary"):
        gen.write_vocabulary(root)
    docs = ix.searcher().num_docs
    _write_manifests(gen, snap, {"files": new_files, "sources": sources}, docs)
    return RefreshReport(claims=docs, indexed=len(fresh), removed=len(gone), files_parsed=len(to_parse),
                         seconds=time.perf_counter() - started)


class TantivySession:
    """One open tantivy index (see :class:`kb.search.engines.Session`)."""

    def __init__(self, ix: Any, gen: TantivyGeneration | None, words: list[str] | None = None) -> None:
        import tantivy

        self.t, self.ix, self.gen = tantivy, ix, gen
        self.schema = ix.schema
        self.searcher = ix.searcher()
        self._words = words
        self.capped: list[str] = []
        self._stems: dict[str, str] = {}

    # --- translation ---------------------------------------------------------------------

    def _should(self, parts: list[Any]) -> Any:
        if len(parts) == 1:
            return parts[0]
        return self.t.Query.boolean_query([(self.t.Occur.Should, p) for p in parts])

    def _text(self, stems: list[str], fieldname: str | None, weight: float) -> Any:
        if not stems:
            return None
        Q = self.t.Query
        parts = []
        for f in [fieldname] if fieldname else TEXT_FIELDS:
            q = Q.term_query(self.schema, f, stems[0]) if len(stems) == 1 else Q.phrase_query(self.schema, f, stems)
            parts.append(Q.boost_query(q, FIELD_BOOSTS.get(f, 1.0) * weight))
        return self._should(parts)

    def query(self, node: kq.Node) -> Any:
        return self._translate(node) or self.t.Query.empty_query()

    def _translate(self, node: kq.Node) -> Any:
        Q, Occur = self.t.Query, self.t.Occur
        if isinstance(node, kq.Term):
            return self._text(analyze(node.text), node.field, node.weight)
        if isinstance(node, kq.Phrase):
            return self._text(analyze(" ".join(node.words)), node.field, node.weight)
        if isinstance(node, kq.Filter):
            return Q.term_query(self.schema, node.field, node.value if node.field == "id" else slug(node.value))
        if isinstance(node, kq.Range):
            lo, hi = node.lo, node.hi
            if node.field == "year":
                lo = None if lo is None else int(math.ceil(lo))
                hi = None if hi is None else int(math.floor(hi))
                kind = self.t.FieldType.Integer
            else:
                kind = self.t.FieldType.Float
            if lo is None and hi is None:
                return Q.exists_query(node.field) if hasattr(Q, "exists_query") else Q.all_query()
            return Q.range_query(self.schema, node.field, kind, lo, hi, include_lower=node.lo_inclusive or lo is None,
                                 include_upper=node.hi_inclusive or hi is None)
        if isinstance(node, (kq.Wildcard, kq.Fuzzy)):
            if node.field is not None and node.field not in TEXT_FIELDS:
                if isinstance(node, kq.Fuzzy):
                    return Q.fuzzy_term_query(self.schema, node.field, node.text, distance=node.maxdist)
                pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in node.pattern)
                return Q.regex_query(self.schema, node.field, pattern)
            matches = loose_words(node, self.words(), self.capped)
            parts = [q for q in (self._text(analyze(w), node.field, 1.0) for w in matches) if q is not None]
            return self._should(parts) if parts else None
        if isinstance(node, kq.Not):
            child = self._translate(node.child)
            if child is None:
                return None
            return Q.boolean_query([(Occur.Must, Q.all_query()), (Occur.MustNot, child)])
        if isinstance(node, kq.Or):
            parts = [q for q in (self._translate(c) for c in node.children) if q is not None]
            return self._should(parts) if parts else None
        if isinstance(node, kq.And):
            clauses = []
            for c in node.children:
                q = self._translate(c)
                if q is None:
                    continue
                if isinstance(c, kq.Not):  # a MustNot clause directly: no need for all_query
                    clauses.append((Occur.MustNot, self._translate(c.child)))
                else:
                    clauses.append((Occur.Must, q))
            optional = [q for q in (self._translate(c) for c in node.optional) if q is not None]
            if not any(o == Occur.Must for o, _ in clauses):
                if not optional:
                    return None if not clauses else Q.boolean_query([(Occur.Must, Q.all_query())] + clauses)
                clauses.append((Occur.Must, self._should(optional)))
                return Q.boolean_query(clauses)
            return Q.boolean_query(clauses + [(Occur.Should, o) for o in optional])
        raise TypeError(f"not a query node: {node!r}")

    # --- the protocol ---------------------------------------------------------------------

    def _leaf_terms(self, tree: kq.Node, phrases: bool) -> set[tuple[str, str]]:
        """(text field, stem) of the tree's words outside NOT that the index holds."""
        out: set[tuple[str, str]] = set()

        def add(stems: list[str], fieldname: str | None) -> None:
            for f in [fieldname] if fieldname else TEXT_FIELDS:
                for s in stems:
                    if self.searcher.doc_freq(f, s):
                        out.add((f, s))

        for node in kq.text_leaves(tree):
            if isinstance(node, kq.Term):
                stems = analyze(node.text)
                if len(stems) == 1 or phrases:
                    add(stems, node.field)
            elif isinstance(node, kq.Phrase):
                if phrases:
                    add(analyze(" ".join(node.words)), node.field)
            else:
                for w in loose_words(node, self.words()):
                    add(analyze(w), node.field)
        return out

    def terms(self, tree: kq.Node) -> int:
        return len(self._leaf_terms(tree, phrases=False))

    def _hits(self, tree: kq.Node, limit: int) -> list[tuple[float, Any]]:
        if limit <= 0:
            return []
        return self.searcher.search(self.query(tree), limit=limit, count=False).hits

    def search(self, tree: kq.Node, depth: int | None) -> list[Candidate]:
        hits = self._hits(tree, depth if depth is not None else self.searcher.num_docs)
        single = self._leaf_terms(tree, phrases=False)
        every = self._leaf_terms(tree, phrases=True) | single
        out = []
        for rank, (score, address) in enumerate(hits):
            stored = self._stored(self.searcher.doc(address))
            held = self._matched(stored, every) if rank < RESCORE_DEPTH else frozenset()
            out.append(Candidate(id=stored["id"], score=float(score), stored=stored,
                                 matched=frozenset(held & single), words=frozenset(s for _, s in held)))
        return out

    def _stored(self, doc: Any) -> dict[str, Any]:
        return {"id": doc.get_first("id"), "statement": doc.get_first("statement") or "",
                "data": json.loads(bytes(doc.get_first("data"))), "stems": doc.get_first("stems")}

    def _matched(self, stored: dict[str, Any], terms: set[tuple[str, str]]) -> frozenset:
        """The terms a claim holds, from its stored stems (' a b c ' per field)."""
        if not terms:
            return frozenset()
        held = json.loads(bytes(stored.pop("stems")))
        return frozenset((f, s) for f, s in terms if f" {s} " in held.get(f, ""))

    def count(self, tree: kq.Node) -> int:
        return self.searcher.search(self.query(tree), limit=1, count=True).count

    def stored(self, tree: kq.Node) -> list[dict[str, Any]]:
        return [self._stored(self.searcher.doc(a)) for _, a in self._hits(tree, self.searcher.num_docs)]

    def highlight_terms(self, tree: kq.Node) -> set[str]:
        return {s for f, s in self._leaf_terms(tree, phrases=True) if f == "statement"} | \
            {s for f, s in self._leaf_terms(tree, phrases=True)}

    def highlights(self, text: str, terms: set[str]) -> list[tuple[int, int]]:
        if not terms:
            return []
        spans = []
        for m in re.finditer(_TOKEN, text):
            stems = analyze(m.group(0))
            if stems and stems[0] in terms:
                spans.append((m.start(), m.end()))
        return spans

    def words(self) -> list[str]:
        if self._words is None:
            self._words = self.gen.read_words() if self.gen else []
        return self._words

    def values(self, fieldname: str) -> list[str]:
        return sorted(term for term, _ in self.searcher.terms_with_prefix(fieldname, ""))

    def vocabulary(self) -> dict[str, dict[str, str]]:
        return self.gen.read_vocabulary() if self.gen else {}

    def stem(self, text: str) -> str:
        if text not in self._stems:
            self._stems[text] = "-".join(analyze(text, stops=False))
        return self._stems[text]


class TantivyEngine:
    """tantivy behind kb's engine protocol."""

    name = "tantivy"

    def __init__(self, root: Path, index_dir: Path, *, notice: Any = None, progress: Any = None) -> None:
        self.root, self.index_dir, self.progress = root, index_dir, progress
        self.say = notice or (lambda message: log.warning(message))

    def _refresh(self, *, rebuild_all: bool = False, verify: bool = False) -> tuple[Any, TantivyGeneration, RefreshReport]:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with gens._locked(self.index_dir):
            snap = gens.snapshot(self.root)
            damaged = None
            try:
                gen = _current(self.index_dir)
                if gen is not None and verify:
                    bad = gen.damaged_files()
                    if bad:
                        raise gens._Corrupt(f"{', '.join(bad[:3])} fail{'s' if len(bad) == 1 else ''} its checksum")
                if gen is not None and not rebuild_all and gen.stats.get("schema") == f"tantivy-{SCHEMA_VERSION}":
                    ix = gen.open()
                    report = RefreshReport(claims=gen.stats.get("docs", 0)) if _fresh(gen, snap) else \
                        update(self.root, gen, ix, snap)
                    return ix, gen, report
            except gens._Vanished:
                pass
            except gens._Corrupt as exc:
                damaged = str(exc)
            if damaged:
                self.say(f"the search index {self.index_dir} was unreadable ({damaged}); rebuilding it")
            report = rebuild(self.root, self.index_dir, snap, self.progress)
            gen = _current(self.index_dir)
            return gen.open(verify=False), gen, report

    def _checked(self, **kwargs: Any) -> tuple[Any, TantivyGeneration, RefreshReport]:
        try:
            return self._refresh(**kwargs)
        except (OSError, WriteError) as exc:
            gens._raise_write_problem(exc, self.index_dir)
            raise

    def _session(self) -> TantivySession:
        snap = gens.snapshot(self.root)
        try:
            gen = _current(self.index_dir)
            if gen is not None and _fresh(gen, snap):
                return TantivySession(gen.open(), gen)
        except (gens._Vanished, gens._Corrupt):
            pass
        try:
            ix, gen, _ = self._checked()
            return TantivySession(ix, gen)
        except (gens._ReadOnly, gens._NoSpace) as exc:
            self.say(f"the search index {self.index_dir} cannot be updated ({exc}); searching an index built in "
                     f"memory for this search (run 'kb index' where the base is writable to keep one)")
            ix = _open(None)
            _, words, _ = _add_all(ix, self.root, snap, self.progress)
            return TantivySession(ix, None, sorted(words))

    def run(self, work: Callable[[TantivySession], T]) -> T:
        for attempt in range(gens.RETRIES + 1):
            session = self._session()
            try:
                return work(session)
            except (KbError, KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:
                if attempt >= gens.RETRIES or session.gen is None:
                    raise
                self.say(f"the search index {self.index_dir} was unreadable ({type(exc).__name__}: {exc}); "
                         f"rebuilding it")
                self._checked(rebuild_all=True)
        raise AssertionError("not reached")

    def build(self, *, rebuild: bool = False) -> RefreshReport:
        try:
            _, _, report = self._checked(rebuild_all=rebuild, verify=True)
        except (gens._ReadOnly, gens._NoSpace) as exc:
            raise WriteError(f"cannot write the search index in {self.index_dir} ({exc})",
                             hint="make the directory writable and free some space, then run 'kb index'") from None
        except InvalidKnowledgeBase:
            raise
        return report
