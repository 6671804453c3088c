"""The search index: the only module that touches Whoosh.

The index is derived from the text files and kept beside them in the base's index
directory (``KnowledgeBase.index_dir``, normally ``index/``)::

    index/CURRENT          name of the live generation (written atomically)
    index/.lock            advisory lock: one writer at a time
    index/g-<stamp>/whoosh the Whoosh index of that generation
    index/g-<stamp>/stats.json   size and mtime_ns of every input file + schema version
    index/g-<stamp>/state.json   per claim file: claim id -> fingerprint and status;
                                 per cited source: what the index stored about it
    index/g-<stamp>/words.txt    every word of the statements and quotes, as written
                                 (for "did you mean", fuzzy and wildcard terms)
    index/g-<stamp>/vocabulary.json  the vocabulary's descriptions (ranking hints)

Before a search, :func:`open_index` compares the files' stats with ``stats.json``
(cheap: no file is parsed). Only changed claim files are parsed, and only claims
whose fingerprint or review status changed are re-indexed; deleted claims are
removed; a changed ``references.bib`` re-indexes the claims citing changed sources.
A full rebuild is written into a new generation directory and swapped in by
rewriting ``CURRENT``, so an interrupted build leaves the old index usable. A
missing, corrupt or outdated index (``SCHEMA_VERSION``) is rebuilt.

When the index directory cannot be written (a read-only base) and the index is
missing or stale, the search runs on an index built in memory for that one
search, with a notice; ``kb index`` then fails with a clear error.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import InvalidKnowledgeBase, KbError, WriteError
from kb.store.fileio import atomic_write_text
from kb.store.lock import LockBusy, NotWritable, file_lock, writable_error

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
"""Bump when the schema or what is stored changes: an older index is rebuilt."""

TEXT_FIELDS = ("statement", "quote", "section", "cited")
FIELD_BOOSTS = {"statement": 2.0, "quote": 1.2, "section": 0.6, "cited": 0.8}
FILTER_FIELDS = frozenset({"id", "kind", "place", "topic", "source", "citekey", "year", "period",
                           "status", "value", "document"})
FACET_FIELDS = ("kind", "place", "topic", "source", "status", "year")
LOCK_TIMEOUT = float(os.environ.get("KB_INDEX_LOCK_TIMEOUT", "5"))
BIG_BUILD = 2000  # claims: above this a rebuild uses Whoosh's multi-segment writer

Notice = Callable[[str], None]
Progress = Callable[[int, int], None]


class IndexBusy(WriteError):
    """Another process holds the index lock for longer than we wait."""


class _ReadOnly(Exception):
    """The index directory cannot be written."""


class _Corrupt(Exception):
    """The stored index cannot be read."""


# --- schema ------------------------------------------------------------------------


def slug(value: str) -> str:
    """How places, topics, kinds and periods are indexed: ``Northern Ireland`` -> ``northern-ireland``."""
    return "-".join(value.lower().split())


def make_schema() -> Any:
    from whoosh import analysis, fields, formats

    stem = analysis.StemmingAnalyzer()
    # A comma-separated list of values, each one token: "Northern Ireland" -> "northern-ireland",
    # so `place:northern-ireland` and `place:"Northern Ireland"` both match it.
    values = (analysis.RegexTokenizer(r"[^,]+") | analysis.StripFilter() | analysis.LowercaseFilter()
              | analysis.SubstitutionFilter(r"\s+", "-"))

    def tags() -> Any:
        # filters only: no frequencies, no field lengths (they would cost time and add nothing)
        return fields.FieldType(formats.Existence(), values, scorable=False)

    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        statement=fields.TEXT(analyzer=stem, stored=True),
        quote=fields.TEXT(analyzer=stem),
        section=fields.TEXT(analyzer=stem),
        cited=fields.TEXT(analyzer=stem),
        kind=tags(),
        place=tags(),
        topic=tags(),
        source=tags(),
        citekey=tags(),
        period=tags(),
        status=tags(),
        document=tags(),
        year=fields.NUMERIC(int, bits=32, signed=False),
        value=fields.NUMERIC(float),
        data=fields.STORED,
    )


_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)(?:\s*[-–/]\s*(\d{2,4}))?\b")


def period_years(period: str) -> list[int]:
    """Years a period covers: '2010-11' -> [2010, 2011]; 'March 2011' -> [2011]; '2009-2010' -> [2009, 2010]."""
    years: set[int] = set()
    for m in _YEAR.finditer(period):
        start = int(m.group(1))
        end = start
        if m.group(2):
            tail = m.group(2)
            end = int(tail) if len(tail) == 4 else start - start % 100 + int(tail)
            if not start <= end <= start + 20:
                end = start
        years.update(range(start, end + 1))
    return sorted(years)


def _acronym_names(names: Iterable[str], acronyms: dict[str, list[str]]) -> list[str]:
    """Acronyms of organisation names, so `source:moj` finds the Ministry of Justice."""
    def fold(text: str) -> str:
        return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())

    out = []
    for name in names:
        folded = fold(name)
        out += [a for a, expansions in acronyms.items() if folded in {fold(e) for e in expansions}]
    return out


def source_summary(source: Any, acronyms: dict[str, list[str]]) -> dict[str, Any]:
    """What the index keeps about a cited work (a ``kb.model.schema.Source``)."""
    names = [a.family if hasattr(a, "family") else a.name for a in source.authors]
    return {"label": source.label(), "names": names + _acronym_names(names, acronyms),
            "year": source.year, "title": source.title}


def claim_document(claim: Any, sources: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """The Whoosh document for a ``kb.model.schema.Claim`` and its index key (fingerprint:status)."""
    fingerprint = claim.fingerprint
    review = claim.review
    if review is None:
        status = "unreviewed"
    elif review.fingerprint and review.fingerprint != fingerprint:
        status = "stale"
    else:
        status = review.status
    keys = claim.cited_keys
    cited = [sources.get(k) for k in keys]
    names = [n for s in cited if s for n in s["names"]]
    titles = [s["title"] for s in cited if s]
    quote = claim.quote_text
    years = set(period_years(claim.period))
    years.update(s["year"] for s in cited if s and s["year"])
    cites = []
    for cite in claim.cites:
        summary = sources.get(cite.key)
        cites.append({"key": cite.key, "label": summary["label"] if summary else cite.key,
                      "footnote": cite.footnote, "locator": cite.locator})
    document_source = sources.get(claim.document)
    doc: dict[str, Any] = {
        "id": claim.id,
        "statement": claim.statement,
        "quote": quote,
        "section": claim.section,
        "cited": " ".join(names + titles),
        "kind": claim.kind,
        "place": ",".join(claim.places),
        "topic": ",".join(claim.topics),
        "source": ",".join(keys + names),
        "citekey": ",".join(keys),
        "period": ",".join([claim.period] + [str(y) for y in period_years(claim.period)]) if claim.period else "",
        "status": status,
        "document": claim.document,
        "data": {
            "kind": claim.kind, "quote": quote, "section": claim.section, "places": list(claim.places),
            "topics": list(claim.topics), "period": claim.period, "cites": cites, "status": status,
            "fingerprint": fingerprint, "document": claim.document,
            "document_label": document_source["label"] if document_source else claim.document,
        },
    }
    if years:
        doc["year"] = sorted(years)
    values = [float(q.value) for q in claim.quantities]
    if values:
        doc["value"] = values
    return doc, f"{fingerprint}:{status}"


# --- acronyms ------------------------------------------------------------------------

def acronyms() -> dict[str, list[str]]:
    """Acronym (lower case) -> expansions (lower case), as search matches them."""
    from kb.search.acronyms import acronym_table

    return {key.lower(): [e.lower() for e in expansions] for key, expansions in acronym_table().items()}


# --- the files an index is built from ----------------------------------------------


@dataclass
class Snapshot:
    """Size and mtime_ns of every input file, by path relative to the base."""

    files: dict[str, list[int]]
    bib: list[int] | None
    vocabulary: list[int] | None

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "bib": self.bib, "vocabulary": self.vocabulary}


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def claim_files(root: Path) -> list[Path]:
    """The claim files, in the loader's order."""
    claims = root / "claims"
    return sorted(claims.glob("*.yaml")) + sorted(claims.glob("*.yml"))


def snapshot(root: Path) -> Snapshot:
    files = {}
    for path in claim_files(root):
        st = _stat(path)
        if st is not None:
            files[path.relative_to(root).as_posix()] = st
    return Snapshot(files, _stat(root / "sources" / "references.bib"), _stat(root / "vocabulary.yaml"))


def _read_sources(root: Path) -> dict[str, dict[str, Any]]:
    bib = root / "sources" / "references.bib"
    if not bib.is_file():
        return {}
    from kb.store.bibliography import parse_bibliography

    sources, problems = parse_bibliography(bib)
    fatal = [p for p in problems if p.fatal]
    if fatal:
        raise InvalidKnowledgeBase(fatal)
    table = acronyms()
    return {key: source_summary(source, table) for key, source in sources.items()}


def _read_claims(path: Path) -> list[Any]:
    from kb.store.loader import load_claim_file

    claims, _, problems = load_claim_file(path)
    fatal = [p for p in problems if p.fatal]
    if fatal:
        raise InvalidKnowledgeBase(fatal)
    return claims


# --- generations, manifests, the lock ------------------------------------------------


@dataclass
class Generation:
    """One built index: its directory, manifests and Whoosh index (opened lazily)."""

    path: Path
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def whoosh_dir(self) -> Path:
        return self.path / "whoosh"

    def open(self) -> Any:
        from whoosh.index import open_dir

        try:
            ix = open_dir(str(self.whoosh_dir))
            count = ix.doc_count()
        except Exception as exc:  # whoosh raises many kinds on damaged files
            raise _Corrupt(f"{type(exc).__name__}: {exc}") from exc
        if count != self.stats.get("docs"):
            raise _Corrupt(f"it holds {count} claims where its manifest says {self.stats.get('docs')}")
        return ix

    def read_state(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _Corrupt(f"unreadable state.json ({exc})") from exc

    def read_words(self) -> list[str]:
        try:
            return (self.path / "words.txt").read_text(encoding="utf-8").split()
        except OSError:
            return []

    def write_words(self, words: Iterable[str]) -> None:
        atomic_write_text(self.path / "words.txt", "\n".join(sorted(words)) + "\n")

    def read_vocabulary(self) -> dict[str, dict[str, str]]:
        try:
            return json.loads((self.path / "vocabulary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def write_vocabulary(self, root: Path) -> None:
        """The vocabulary's descriptions by field, for ranking hints ('children in care')."""
        from kb.store.loader import load_vocabulary

        vocab, _ = load_vocabulary(root)
        table = {"kind": vocab.kinds, "place": {slug(k): v for k, v in vocab.places.items()},
                 "topic": {slug(k): v for k, v in vocab.topics.items()}}
        atomic_write_text(self.path / "vocabulary.json", json.dumps(table))

    def write_manifests(self, snap: Snapshot, state: dict[str, Any], docs: int) -> None:
        # state first, stats last: stats.json says which file versions the index reflects,
        # so a crash in between only makes the next refresh re-check those files.
        atomic_write_text(self.path / "state.json", json.dumps(state, separators=(",", ":")))
        self.stats = {"schema": SCHEMA_VERSION, "docs": docs, **snap.to_dict()}
        atomic_write_text(self.path / "stats.json", json.dumps(self.stats, separators=(",", ":")))


def current_generation(index_dir: Path) -> Generation | None:
    """The live generation, or None when there is none (or its pointer or manifest is damaged)."""
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not re.fullmatch(r"g-[\w.-]+", name):
        raise _Corrupt("its CURRENT pointer is damaged")
    path = index_dir / name
    try:
        stats = json.loads((path / "stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _Corrupt(f"unreadable stats.json ({exc})") from exc
    if not isinstance(stats, dict):
        raise _Corrupt("stats.json is not a mapping")
    return Generation(path, stats)


def _is_fresh(gen: Generation, snap: Snapshot) -> bool:
    s = gen.stats
    return (s.get("schema") == SCHEMA_VERSION and s.get("files") == snap.files and s.get("bib") == snap.bib
            and s.get("vocabulary") == snap.vocabulary)


def _writable_error(exc: OSError) -> bool:
    return writable_error(exc)


@contextmanager
def _locked(index_dir: Path, timeout: float = LOCK_TIMEOUT):
    """Hold the index's writer lock; wait up to ``timeout`` seconds for another writer."""
    try:
        with file_lock(index_dir / ".lock", timeout=timeout,
                       busy=f"the search index {index_dir} is being updated by another kb process"):
            yield
    except NotWritable as exc:
        raise _ReadOnly(str(exc)) from exc
    except LockBusy as exc:
        raise IndexBusy(exc.message, hint=exc.hint) from None


# --- building and refreshing -----------------------------------------------------------


@dataclass
class RefreshReport:
    """What a refresh did."""

    claims: int = 0
    """Claims in the index afterwards."""
    indexed: int = 0
    removed: int = 0
    files_parsed: int = 0
    rebuilt: bool = False
    seconds: float = 0.0


def _new_generation(index_dir: Path) -> Generation:
    name = f"g-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 1_000_000}"
    path = index_dir / name
    path.mkdir(parents=True)
    return Generation(path)


_WORD = re.compile(r"\w+(?:['’]\w+)*")


def text_words(text: str) -> set[str]:
    """Words as written (lower case), for spelling suggestions and fuzzy/wildcard expansion."""
    return {w for w in _WORD.findall(text.lower()) if not w.isdigit()}


@dataclass
class _Part:
    """What indexing some claim files produced."""

    files: dict[str, dict[str, str]] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    ids: list[str] = field(default_factory=list)


def _add_files(writer: Any, root: Path, rels: list[str], sources: dict[str, dict[str, Any]],
               tick: Callable[[], None] | None = None) -> _Part:
    part = _Part()
    seen: set[str] = set()
    for rel in rels:
        entries: dict[str, str] = {}
        for claim in _read_claims(root / rel):
            doc, key = claim_document(claim, sources)
            entries[claim.id] = key
            if claim.id in seen:  # a duplicate id (kb verify reports it): the first one wins
                continue
            seen.add(claim.id)
            part.ids.append(claim.id)
            part.words |= text_words(f"{doc['statement']} {doc['quote']}")
            writer.add_document(**doc)
        part.files[rel] = entries
        if tick:
            tick()
    return part


_COUNTER: Any = None  # a shared counter of files done, inherited by build workers


def _build_worker(args: tuple[str, str, list[str], dict[str, Any]]) -> tuple[str, Any, _Part | None]:
    """In a worker process: index some files into a new segment of the index (not yet committed)."""
    whoosh_dir, root, rels, sources = args
    from whoosh.index import open_dir
    from whoosh.writing import SegmentWriter

    ix = open_dir(whoosh_dir)
    writer = SegmentWriter(ix, _lk=False, limitmb=128)

    def tick() -> None:
        with _COUNTER.get_lock():
            _COUNTER.value += 1

    try:
        part = _add_files(writer, Path(root), rels, sources, tick)
    except InvalidKnowledgeBase as exc:
        writer.cancel()
        return "invalid", exc.problems, None
    if not part.ids:
        writer.cancel()
        return "ok", None, part
    return "ok", writer._finalize_segment(), part


def _split(rels: list[str], sizes: list[int], parts: int) -> list[list[str]]:
    """Contiguous runs of files of about equal size (so 'first id wins' follows file order)."""
    total = sum(sizes) or 1
    out: list[list[str]] = [[] for _ in range(parts)]
    done = 0
    for rel, size in zip(rels, sizes):
        out[min(parts - 1, done * parts // total)].append(rel)
        done += size
    return [chunk for chunk in out if chunk]


def _build_parallel(ix: Any, root: Path, rels: list[str], sizes: list[int], sources: dict[str, Any],
                    procs: int, progress: Progress | None) -> _Part:
    """Each worker parses its files and writes a segment; the segments are committed together.

    Uses Whoosh's segment-writer internals the way its own ``MpWriter(multisegment=True)``
    does, but moves the YAML parsing into the workers too.
    """
    import multiprocessing

    global _COUNTER
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    _COUNTER = context.Value("i", 0)
    writer = ix.writer()
    try:
        chunks = _split(rels, sizes, procs)
        with context.Pool(len(chunks)) as pool:
            pending = pool.map_async(_build_worker, [(str(ix.storage.folder), str(root), chunk, sources)
                                                     for chunk in chunks])
            while not pending.ready():
                pending.wait(0.2)
                if progress:
                    progress(_COUNTER.value, len(rels))
            results = pending.get()
        for status, payload, _ in results:
            if status == "invalid":
                raise InvalidKnowledgeBase(payload)
        segments = [payload for _, payload, _ in results if payload is not None]
        writer._close_segment()
        writer._commit_toc(segments)
        writer._finish()
    except BaseException:
        writer.cancel()
        raise
    merged = _Part()
    seen: set[str] = set()
    duplicates: set[str] = set()
    for _, _, part in results:
        duplicates |= seen.intersection(part.ids)
        seen.update(part.ids)
        merged.files.update(part.files)
        merged.words |= part.words
        merged.ids += part.ids
    if duplicates:  # the same id in files indexed by different workers: keep the first file's claim
        _reindex_first(ix, root, rels, duplicates, sources)
        merged.ids = list(dict.fromkeys(merged.ids))
    return merged


def _reindex_first(ix: Any, root: Path, rels: list[str], ids: set[str], sources: dict[str, Any]) -> None:
    writer = ix.writer()
    for rel in rels:
        for claim in _read_claims(root / rel):
            if claim.id in ids:
                ids.discard(claim.id)
                writer.update_document(**claim_document(claim, sources)[0])
    writer.commit()


def _build_into(ix: Any, root: Path, snap: Snapshot, progress: Progress | None,
                procs: int | None = None) -> tuple[dict[str, Any], set[str], int]:
    """Index every claim into an empty Whoosh index; returns (state, words, claims indexed)."""
    sources = _read_sources(root)
    rels = list(snap.files)
    sizes = [size for size, _ in snap.files.values()]
    if procs is None:
        procs = min(4, os.cpu_count() or 1) if sum(sizes) > BIG_BUILD * 600 and len(rels) > 1 else 1
    if procs > 1 and hasattr(ix.storage, "folder"):
        part = _build_parallel(ix, root, rels, sizes, sources, procs, progress)
    else:
        writer = ix.writer(limitmb=128)
        try:
            part = _add_files(writer, root, rels, sources,
                              (lambda c=iter(range(1, len(rels) + 1)): progress(next(c), len(rels)))
                              if progress else None)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    return {"files": part.files, "sources": sources}, part.words, len(part.ids)


def rebuild(root: Path, index_dir: Path, snap: Snapshot, *, progress: Progress | None = None) -> RefreshReport:
    """Build a new generation beside the live one and swap it in (caller holds the lock)."""
    from whoosh.index import create_in

    started = time.perf_counter()
    gen = _new_generation(index_dir)
    try:
        gen.whoosh_dir.mkdir()
        ix = create_in(str(gen.whoosh_dir), make_schema())
        state, words, count = _build_into(ix, root, snap, progress)
        gen.write_words(words)
        gen.write_vocabulary(root)
        gen.write_manifests(snap, state, ix.doc_count())
        ix.close()
        atomic_write_text(index_dir / "CURRENT", gen.path.name + "\n")
    except BaseException:
        shutil.rmtree(gen.path, ignore_errors=True)
        raise
    _remove_old_generations(index_dir, keep=gen.path.name)
    return RefreshReport(claims=count, indexed=count, files_parsed=len(snap.files), rebuilt=True,
                         seconds=time.perf_counter() - started)


def _remove_old_generations(index_dir: Path, keep: str) -> None:
    # Readers that still have old files open keep reading them (POSIX); new readers follow CURRENT.
    for path in index_dir.glob("g-*"):
        if path.name != keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def update(root: Path, gen: Generation, ix: Any, snap: Snapshot) -> RefreshReport:
    """Bring a live generation up to date with the files (caller holds the lock)."""
    started = time.perf_counter()
    old = gen.stats
    state = gen.read_state()
    old_files: dict[str, dict[str, str]] = state.get("files", {})
    sources: dict[str, dict[str, Any]] = state.get("sources", {})
    to_parse = {rel for rel, st in snap.files.items() if old.get("files", {}).get(rel) != st}
    forced: set[str] = set()
    if snap.bib != old.get("bib"):
        new_sources = _read_sources(root)
        changed = {k for k in set(sources) | set(new_sources) if sources.get(k) != new_sources.get(k)}
        sources = new_sources
        if changed:
            owner = {cid: rel for rel, entries in old_files.items() for cid in entries}
            with ix.searcher() as searcher:
                for key in changed:
                    for cid in _stored_ids(searcher, "citekey", key) + _stored_ids(searcher, "document", key):
                        forced.add(cid)
                        if owner.get(cid) in snap.files:
                            to_parse.add(owner[cid])
    old_keys = {cid: key for entries in old_files.values() for cid, key in entries.items()}
    new_files = {rel: entries for rel, entries in old_files.items() if rel in snap.files}
    fresh_docs: dict[str, dict[str, Any]] = {}
    new_words: set[str] = set()
    for rel in sorted(to_parse):
        entries = {}
        for claim in _read_claims(root / rel):
            doc, key = claim_document(claim, sources)
            entries[claim.id] = key
            if old_keys.get(claim.id) != key or claim.id in forced:
                fresh_docs.setdefault(claim.id, doc)
                new_words |= text_words(f"{doc['statement']} {doc['quote']}")
        new_files[rel] = entries
    present = {cid for entries in new_files.values() for cid in entries}
    gone = [cid for cid in old_keys if cid not in present]
    if fresh_docs or gone:
        writer = _writer(ix)
        try:
            for cid in gone:
                writer.delete_by_term("id", cid)
            for doc in fresh_docs.values():
                writer.update_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    if new_words:  # words are only added: a stale word merely finds nothing
        known = set(gen.read_words())
        if not new_words <= known:
            gen.write_words(known | new_words)
    if snap.vocabulary != old.get("vocabulary"):
        gen.write_vocabulary(root)
    state = {"files": new_files, "sources": sources}
    gen.write_manifests(snap, state, ix.doc_count())
    return RefreshReport(claims=ix.doc_count(), indexed=len(fresh_docs), removed=len(gone),
                         files_parsed=len(to_parse), seconds=time.perf_counter() - started)


def _writer(ix: Any) -> Any:
    from whoosh.writing import LockError

    try:
        return ix.writer(timeout=LOCK_TIMEOUT)
    except LockError:
        raise IndexBusy("the Whoosh index is locked by another writer", hint="try again in a moment") from None


def _stored_ids(searcher: Any, fieldname: str, text: str) -> list[str]:
    from whoosh.query import Term

    return [hit["id"] for hit in searcher.search(Term(fieldname, slug(text)), limit=None)]


def build_in_memory(root: Path, *, progress: Progress | None = None) -> Any:
    """A throwaway index in RAM, for a base whose index directory cannot be written."""
    from whoosh.filedb.filestore import RamStorage

    ix = RamStorage().create_index(make_schema())
    _, words, _ = _build_into(ix, root, snapshot(root), progress, procs=1)
    ix.kb_words = sorted(words)
    return ix


def _generation_of(ix: Any) -> Generation | None:
    folder = getattr(ix.storage, "folder", None)
    return Generation(Path(folder).parent) if folder else None


def index_words(ix: Any) -> list[str]:
    """The sorted word list of an index opened by :func:`open_index`."""
    if hasattr(ix, "kb_words"):
        return ix.kb_words
    gen = _generation_of(ix)
    return gen.read_words() if gen else []


def index_vocabulary(ix: Any) -> dict[str, dict[str, str]]:
    """Descriptions of the vocabulary's kinds, places and topics (slugged) the index was built with."""
    gen = _generation_of(ix)
    return gen.read_vocabulary() if gen else {}


# --- the entry points --------------------------------------------------------------------


def open_index(root: Path, index_dir: Path, *, notice: Notice | None = None,
               progress: Progress | None = None) -> Any:
    """The base's Whoosh index, refreshed first if any file changed (see the module docstring)."""
    say = notice or (lambda message: log.warning(message))
    snap = snapshot(root)
    problem = None
    try:
        gen = current_generation(index_dir)
        if gen is not None and _is_fresh(gen, snap):
            return gen.open()
    except _Corrupt as exc:
        problem = str(exc)
    try:
        return refresh(root, index_dir, notice=say, progress=progress, damaged=problem)[0]
    except _ReadOnly:
        say(f"the search index {index_dir} cannot be written (read-only); searching an index built in "
            f"memory for this search (run 'kb index' where the base is writable to keep one)")
        return build_in_memory(root, progress=progress)


def refresh(root: Path, index_dir: Path, *, rebuild_all: bool = False, notice: Notice | None = None,
            progress: Progress | None = None, damaged: str | None = None) -> tuple[Any, RefreshReport]:
    """Refresh (or with ``rebuild_all`` rebuild) the index under the lock; returns (index, report).

    Raises ``_ReadOnly`` when the index directory cannot be written.
    """
    say = notice or (lambda message: log.warning(message))
    with _locked(index_dir):
        snap = snapshot(root)  # again: another writer may have refreshed while we waited
        gen = None
        report: RefreshReport | None = None
        try:
            gen = current_generation(index_dir)
            if gen is not None and not rebuild_all and gen.stats.get("schema") == SCHEMA_VERSION:
                ix = gen.open()
                report = update(root, gen, ix, snap) if not _is_fresh(gen, snap) else RefreshReport(
                    claims=ix.doc_count())
                return ix, report
        except _Corrupt as exc:
            damaged = damaged or str(exc)
        if damaged:
            say(f"the search index {index_dir} was unreadable ({damaged}); rebuilding it")
        report = _rebuild_checked(root, index_dir, snap, progress)
        gen = current_generation(index_dir)
        assert gen is not None  # noqa: S101 (just written)
        return gen.open(), report


def _rebuild_checked(root: Path, index_dir: Path, snap: Snapshot, progress: Progress | None) -> RefreshReport:
    try:
        return rebuild(root, index_dir, snap, progress=progress)
    except OSError as exc:
        if _writable_error(exc):
            raise _ReadOnly(str(exc)) from exc
        raise WriteError(f"cannot write the search index in {index_dir}: {exc.strerror or exc}",
                         hint="check free space and permissions, then run 'kb index --rebuild'") from exc


def index_command(root: Path, index_dir: Path, *, rebuild_all: bool = False, notice: Notice | None = None,
                  progress: Progress | None = None) -> RefreshReport:
    """``kb index``: refresh or rebuild, failing clearly when the directory is read-only."""
    try:
        ix, report = refresh(root, index_dir, rebuild_all=rebuild_all, notice=notice, progress=progress)
    except _ReadOnly as exc:
        raise WriteError(f"cannot write the search index in {index_dir} ({exc})",
                         hint="make the directory writable, or copy the base somewhere writable") from None
    ix.close()
    return report


__all__ = ["FACET_FIELDS", "FIELD_BOOSTS", "FILTER_FIELDS", "IndexBusy", "KbError", "RefreshReport",
           "SCHEMA_VERSION", "TEXT_FIELDS", "acronyms", "index_command", "make_schema", "open_index",
           "period_years", "refresh", "slug"]
