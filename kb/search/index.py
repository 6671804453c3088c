"""The search index on disk: generations, upkeep, healing (what a claim's document holds is
in :mod:`kb.search.documents`; queries are in :mod:`kb.search.searcher`).

The index is derived from the text files and kept beside them in the base's index
directory (``KnowledgeBase.index_dir``, normally ``index/``)::

    index/CURRENT          name of the live generation (written atomically)
    index/.lock            advisory lock: one writer at a time
    index/g-<stamp>/whoosh the Whoosh index of that generation
    index/g-<stamp>/stats.json   size and mtime_ns of every input file + schema version,
                                 size and CRC-32 of every Whoosh file (``checksums``)
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
from kb.search.documents import (
    acronyms,
    claim_document,
    index_numbers,
    make_schema,
    period_years,
    slug,
    source_summary,
    text_words,
    tune_whoosh,
)
from kb.store.fileio import atomic_write_text
from kb.store.lock import LockBusy, NotWritable, file_lock, writable_error

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
"""Bump when the schema or what is stored changes: an older index is rebuilt."""

TEXT_FIELDS = ("statement", "quote", "section", "cited")
FIELD_BOOSTS = {"statement": 2.0, "quote": 1.2, "section": 0.6, "cited": 0.8}
FILTER_FIELDS = frozenset({"id", "kind", "place", "topic", "source", "citekey", "year", "period",
                           "status", "value", "document"})
FACET_FIELDS = ("kind", "place", "topic", "source", "status", "year")
LOCK_TIMEOUT = float(os.environ.get("KB_INDEX_LOCK_TIMEOUT", "5"))
VERIFY_BYTES = int(os.environ.get("KB_INDEX_VERIFY_BYTES", str(8 << 20)))
"""Indexes up to this size (about 5,000 claims) are checked against their checksums at every
open, a few ms; larger ones by `kb index` and by the verified read of every search."""
LIMIT_MB = 512
"""Whoosh's sort buffer per writer: at 128 MB a 20k build spilled runs to disk and spent
23 s of 70 s pickling and reading them back (issue 13's profile)."""
BIG_BUILD = 2000  # claims: above this a rebuild uses Whoosh's multi-segment writer

Notice = Callable[[str], None]
Progress = Callable[[int, int], None]


class IndexBusy(WriteError):
    """Another process holds the index lock for longer than we wait."""


class _ReadOnly(Exception):
    """The index directory cannot be written."""


class _Corrupt(Exception):
    """The stored index cannot be read."""


class _NoSpace(Exception):
    """The disk (or quota) is full."""


class _Vanished(Exception):
    """The generation being opened was swapped out and deleted by a writer meanwhile."""


def _crc32(path: Path) -> int:
    import zlib

    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


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

    def open(self, verify: bool = True) -> Any:
        """The Whoosh index; its files are checked against their checksums first when the
        index is small (a full read of up to ``VERIFY_BYTES``); larger indexes rely on the
        verified read of :func:`recover` and on ``kb index``, which always checks."""
        from whoosh.index import open_dir

        if not self.path.is_dir():
            raise _Vanished(f"{self.path.name} is gone")
        if verify and self.index_bytes() <= VERIFY_BYTES:
            bad = self.damaged_files()
            if bad:
                raise _Corrupt(f"{', '.join(bad[:3])} fail{'s' if len(bad) == 1 else ''} its checksum")
        tune_whoosh()
        try:
            ix = open_dir(str(self.whoosh_dir))
            count = ix.doc_count()
        except Exception as exc:  # whoosh raises many kinds on damaged files
            if self.deleted():
                raise _Vanished(f"{self.path.name} is gone") from exc
            raise _Corrupt(f"{type(exc).__name__}: {exc}") from exc
        if count != self.stats.get("docs"):
            raise _Corrupt(f"it holds {count} claims where its manifest says {self.stats.get('docs')}")
        return ix

    def deleted(self) -> bool:
        """Whether this generation is (being) deleted by someone else (``rm -rf index/``):
        its directory, or the table of contents Whoosh writes first, is gone."""
        try:
            return not any(self.whoosh_dir.glob("*.toc"))
        except OSError:
            return True

    def index_bytes(self) -> int:
        return sum(size for size, _ in self.stats.get("checksums", {}).values())

    def read_state(self) -> dict[str, Any]:
        try:
            state = json.loads((self.path / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _Corrupt(f"unreadable state.json ({exc})") from exc
        problem = _state_shape(state)
        if problem:
            raise _Corrupt(f"state.json {problem}")
        return state

    def checksums(self, known: dict[str, list[int]] | None = None) -> dict[str, list[int]]:
        """Size and CRC-32 of every file of the Whoosh index. Whoosh never rewrites a
        segment file in place (new data goes to new names), so ``known`` sums are reused."""
        out = {}
        known = known or {}
        for path in sorted(self.whoosh_dir.iterdir()):
            if not path.is_file() or path.suffix == ".lock" or path.name.endswith("WRITELOCK"):
                continue
            size = path.stat().st_size
            if path.name in known and known[path.name][0] == size and not path.name.endswith(".toc"):
                out[path.name] = known[path.name]
            else:
                out[path.name] = [size, _crc32(path)]
        return out

    def damaged_files(self) -> list[str]:
        """Files of the Whoosh index whose size or CRC-32 differ from the manifest (a full read)."""
        expected = self.stats.get("checksums")
        if not expected:
            return []
        bad = []
        for name, (size, crc) in expected.items():
            path = self.whoosh_dir / name
            try:
                if path.stat().st_size != size or _crc32(path) != crc:
                    bad.append(name)
            except OSError:
                bad.append(name)
        return bad

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
        sums = self.checksums(self.stats.get("checksums"))
        self.stats = {"schema": SCHEMA_VERSION, "docs": docs, **snap.to_dict(), "checksums": sums}
        atomic_write_text(self.path / "stats.json", json.dumps(self.stats, separators=(",", ":")))


def current_generation(index_dir: Path) -> Generation | None:
    """The live generation, or None when there is none (or its pointer or manifest is damaged)."""
    name = current_name(index_dir)
    if name is None:
        return None
    path = index_dir / name
    try:
        stats = json.loads((path / "stats.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise _Vanished(f"{path.name} is gone") from exc
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise _Corrupt(f"unreadable stats.json ({exc})") from exc
    problem = _stats_shape(stats)
    if problem:
        raise _Corrupt(f"stats.json {problem}")
    return Generation(path, stats)


def current_name(index_dir: Path) -> str | None:
    """The name in ``CURRENT`` (None when there is none); ``_Corrupt`` when it is damaged."""
    try:
        raw = (index_dir / "CURRENT").read_bytes()
    except OSError:
        return None
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise _Corrupt("its CURRENT pointer is damaged (not text)") from None
    if not re.fullmatch(r"g-[\w.-]+", name):
        raise _Corrupt("its CURRENT pointer is damaged")
    return name


def _stats_shape(stats: Any) -> str | None:
    """What is wrong with the shape of a generation's stats.json, if anything."""
    if not isinstance(stats, dict):
        return "is not a mapping"
    if not _pairs_table(stats.get("files")):
        return "has no valid 'files' table"
    if not isinstance(stats.get("docs"), int):
        return "has no claim count"
    if not _pairs_table(stats.get("checksums", {})):
        return "has damaged checksums"
    return None


def _pairs_table(table: Any) -> bool:
    """A mapping of names to ``[int, int]`` (size and mtime, or size and CRC)."""
    return isinstance(table, dict) and all(
        isinstance(v, list) and len(v) == 2 and all(isinstance(n, int) for n in v) for v in table.values())


def _state_shape(state: Any) -> str | None:
    if not isinstance(state, dict):
        return "is not a mapping"
    files, sources = state.get("files", {}), state.get("sources", {})
    if not isinstance(files, dict) or not all(
            isinstance(entries, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items())
            for entries in files.values()):
        return "has no valid 'files' table"
    if not isinstance(sources, dict) or not all(isinstance(v, dict) for v in sources.values()):
        return "has no valid 'sources' table"
    return None


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
    except WriteError as exc:
        if isinstance(exc.__cause__, FileNotFoundError):  # the directory was deleted meanwhile
            raise _Vanished(exc.message) from exc
        raise


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
    whoosh_dir, root, rels, sources, parent = args
    _end_with_parent(parent)
    from whoosh.index import open_dir
    from whoosh.writing import SegmentWriter

    ix = open_dir(whoosh_dir)
    writer = SegmentWriter(ix, _lk=False, limitmb=LIMIT_MB)

    def tick() -> None:
        if os.getppid() != parent:  # orphaned (the parent was killed): stop at once
            os._exit(1)
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


def _end_with_parent(parent: int) -> None:
    """A build worker dies with the ``kb`` process that started it (Linux: PR_SET_PDEATHSIG;
    elsewhere the worker checks its parent after every file)."""
    import signal

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


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
            pending = pool.map_async(_build_worker, [(str(ix.storage.folder), str(root), chunk, sources,
                                                      os.getpid()) for chunk in chunks])
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
    """Index every claim into an empty Whoosh index; returns (state, words, claims indexed).

    The garbage collector is paused meanwhile: a build allocates millions of small objects
    that live until the commit, and the collector's passes over them cost ~8 s of a 20k build.
    """
    import gc

    paused = gc.isenabled()
    gc.disable()
    try:
        return _build_all(ix, root, snap, progress, procs)
    finally:
        if paused:
            gc.enable()


def _build_all(ix: Any, root: Path, snap: Snapshot, progress: Progress | None,
               procs: int | None) -> tuple[dict[str, Any], set[str], int]:
    sources = _read_sources(root)
    rels = list(snap.files)
    sizes = [size for size, _ in snap.files.values()]
    if procs is None and os.environ.get("KB_INDEX_PROCS", "").isdigit():
        procs = max(1, int(os.environ["KB_INDEX_PROCS"]))
    if procs is None:
        procs = min(4, os.cpu_count() or 1) if sum(sizes) > BIG_BUILD * 600 and len(rels) > 1 else 1
    procs = min(procs, len(rels))
    if procs > 1 and hasattr(ix.storage, "folder"):
        part = _build_parallel(ix, root, rels, sizes, sources, procs, progress)
    else:
        writer = ix.writer(limitmb=LIMIT_MB)
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
    except BaseException as exc:
        if isinstance(exc, Exception) and not _disk_problem(exc) and gen.deleted():  # EmptyIndexError then
            raise _Vanished(f"{gen.path.name} was deleted during the build") from exc
        shutil.rmtree(gen.path, ignore_errors=True)
        raise
    _remove_old_generations(index_dir, keep=gen.path.name)
    return RefreshReport(claims=count, indexed=count, files_parsed=len(snap.files), rebuilt=True,
                         seconds=time.perf_counter() - started)


def _disk_problem(exc: BaseException) -> bool:
    """A full disk, a quota or a read-only file system: not a deleted generation (a failed
    first write leaves no table of contents, which looks the same)."""
    import errno

    cause = exc.__cause__ if isinstance(exc, WriteError) else exc
    return isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS,
                                                           errno.EACCES, errno.EPERM)


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
    """The base's Whoosh index, refreshed first if any file changed (see the module docstring).

    A reader racing a writer that swaps generations (or ``rm -rf index/``) retries on the
    new ``CURRENT``; a damaged index is rebuilt with a notice; a read-only base or a full
    disk falls back to an index built in memory for this one search, with a notice.
    """
    say = notice or (lambda message: log.warning(message))
    deadline = time.monotonic() + RETRY_SECONDS
    attempt = 0
    while attempt == 0 or time.monotonic() < deadline:
        if attempt:
            time.sleep(min(0.02 * attempt, 0.2))
        attempt += 1
        snap = snapshot(root)
        try:
            gen = current_generation(index_dir)
            if gen is not None and _is_fresh(gen, snap):
                ix = gen.open()
                _clean_orphans(index_dir, keep=gen.path.name)
                return ix
        except _Vanished:
            continue  # a writer swapped generations meanwhile: read the new CURRENT
        except _Corrupt:
            pass  # refresh looks again under the lock (another process may be healing it) and rebuilds
        try:
            return refresh(root, index_dir, notice=say, progress=progress)[0]
        except _Vanished:
            continue
        except _ReadOnly:
            say(f"the search index {index_dir} cannot be written (read-only); searching an index built in "
                f"memory for this search (run 'kb index' where the base is writable to keep one)")
            return build_in_memory(root, progress=progress)
        except _NoSpace as exc:
            say(f"the search index {index_dir} cannot be updated ({exc}); searching an index built in "
                f"memory for this search (free some space, then run 'kb index')")
            return build_in_memory(root, progress=progress)
    raise WriteError(f"the search index {index_dir} kept changing while being opened",
                     hint="another process is rebuilding or deleting it; try again in a moment")


RETRIES = 4
"""How often a search is run again after a failed read (the index healed in between)."""
RETRY_SECONDS = 10.0
"""How long a reader keeps retrying while writers swap or delete the generation it opens."""


def refresh(root: Path, index_dir: Path, *, rebuild_all: bool = False, notice: Notice | None = None,
            progress: Progress | None = None, damaged: str | None = None, damaged_gen: str | None = None,
            verify: bool = False) -> tuple[Any, RefreshReport]:
    """Refresh (or with ``rebuild_all`` rebuild) the index under the lock; returns (index, report).

    ``damaged`` (why) forces a rebuild if ``damaged_gen`` is still the live generation.
    ``verify`` checks every file against its checksum (``kb index`` does). Raises
    ``_ReadOnly`` when the index directory cannot be written, ``_NoSpace`` when the disk
    is full, ``_Vanished`` when the index directory was deleted while we worked.
    """
    say = notice or (lambda message: log.warning(message))
    with _locked(index_dir):
        snap = snapshot(root)  # again: another writer may have refreshed while we waited
        gen = None
        report: RefreshReport | None = None
        try:
            gen = current_generation(index_dir)
            if damaged and (gen is None or gen.path.name != damaged_gen):
                damaged = None  # healed by another process meanwhile
            if gen is not None:
                _clean_orphans(index_dir, keep=gen.path.name, locked=True)
            if gen is not None and verify and not damaged:
                bad = gen.damaged_files()
                if bad:
                    raise _Corrupt(f"{', '.join(bad[:3])} fail{'s' if len(bad) == 1 else ''} its checksum")
            if gen is not None and not rebuild_all and not damaged and gen.stats.get("schema") == SCHEMA_VERSION:
                ix = gen.open()
                try:
                    report = update(root, gen, ix, snap) if not _is_fresh(gen, snap) else RefreshReport(
                        claims=ix.doc_count())
                except (OSError, WriteError) as exc:
                    ix.close()
                    if gen.deleted():
                        raise _Vanished(f"{gen.path.name} was deleted during the update") from exc
                    _raise_write_problem(exc, index_dir)
                return ix, report
        except _Vanished:
            pass  # CURRENT names a deleted generation (rm -rf index/ meanwhile): build anew
        except _Corrupt as exc:
            damaged = damaged or str(exc)
        except Exception as exc:
            if gen is not None and gen.deleted():  # Whoosh reads lazily: EmptyIndexError and the like
                raise _Vanished(str(exc)) from exc
            raise
        if damaged:
            say(f"the search index {index_dir} was unreadable ({damaged}); rebuilding it")
        report = _rebuild_checked(root, index_dir, snap, progress)
        try:
            gen = current_generation(index_dir)
            if gen is None:
                raise _Vanished("the index directory was deleted during the rebuild")
            return gen.open(verify=False), report
        except _Corrupt as exc:  # just built and checked: someone is deleting it (rm -rf index/)
            raise _Vanished(str(exc)) from exc


def _raise_write_problem(exc: OSError | WriteError, index_dir: Path) -> None:
    """Classify a failed write into the index: read-only, disk full, deleted meanwhile, or
    (else) a clear ``WriteError``. ``atomic_write_text`` wraps its ``OSError`` in a ``WriteError``."""
    import errno

    if isinstance(exc, WriteError):
        if not isinstance(exc.__cause__, OSError):
            raise exc
        exc = exc.__cause__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        raise _NoSpace(exc.strerror or str(exc)) from exc
    if _writable_error(exc):
        raise _ReadOnly(str(exc)) from exc
    if isinstance(exc, FileNotFoundError) and not (index_dir / "CURRENT").exists():
        raise _Vanished(str(exc)) from exc
    raise WriteError(f"cannot write the search index in {index_dir}: {exc.strerror or exc}",
                     hint="check free space and permissions, then run 'kb index --rebuild'") from exc


def _rebuild_checked(root: Path, index_dir: Path, snap: Snapshot, progress: Progress | None) -> RefreshReport:
    try:
        return rebuild(root, index_dir, snap, progress=progress)
    except (OSError, WriteError) as exc:
        _raise_write_problem(exc, index_dir)
        raise  # not reached


def _clean_orphans(index_dir: Path, keep: str, locked: bool = False) -> None:
    """Remove generations left by a killed build or an earlier swap (never the live one).

    Without the lock in hand it takes it only if free at once: a writer holding it may be
    building a new generation right now.
    """
    stray = [p for p in index_dir.glob("g-*") if p.name != keep and p.is_dir()]
    if not stray:
        return
    if locked:
        _remove_old_generations(index_dir, keep)
        return
    try:
        with _locked(index_dir, timeout=0):
            if current_name(index_dir) == keep:
                _remove_old_generations(index_dir, keep)
    except (IndexBusy, _ReadOnly, _Corrupt, OSError):
        pass


def recover(root: Path, index_dir: Path, ix: Any, exc: BaseException, *, notice: Notice | None = None) -> bool:
    """After a read of ``ix`` failed with ``exc`` (a verified read): if the generation was
    swapped out meanwhile, do nothing (the caller reopens); otherwise check its checksums
    and rebuild it with a notice. Returns whether it rebuilt; re-raises ``exc`` for an index
    in memory (nothing on disk to heal)."""
    say = notice or (lambda message: log.warning(message))
    gen = _generation_of(ix)
    if gen is None:  # an in-memory index cannot be damaged on disk
        raise exc
    try:
        name = current_name(index_dir)
    except _Corrupt:
        name = None
    if name != gen.path.name or gen.deleted():
        return False
    try:
        live = current_generation(index_dir)
        bad = live.damaged_files() if live else []
    except (_Corrupt, _Vanished):
        bad = ["the manifest"]
    reason = f"{', '.join(bad[:3])} fail{'s' if len(bad) == 1 else ''} its checksum" if bad else \
        f"{type(exc).__name__}: {exc}"
    try:
        refresh(root, index_dir, notice=say, damaged=reason, damaged_gen=gen.path.name)[0].close()
    except (_ReadOnly, _NoSpace, _Vanished, IndexBusy):
        pass  # the caller's next open falls back to an index in memory, or waits for the writer
    return True


def index_command(root: Path, index_dir: Path, *, rebuild_all: bool = False, notice: Notice | None = None,
                  progress: Progress | None = None) -> RefreshReport:
    """``kb index``: refresh or rebuild (every file checked against its checksum first),
    failing clearly when the directory is read-only or the disk full."""
    try:
        ix, report = refresh(root, index_dir, rebuild_all=rebuild_all, notice=notice, progress=progress,
                             verify=True)
    except _ReadOnly as exc:
        raise WriteError(f"cannot write the search index in {index_dir} ({exc})",
                         hint="make the directory writable, or copy the base somewhere writable") from None
    except _NoSpace as exc:
        raise WriteError(f"cannot write the search index in {index_dir} ({exc})",
                         hint="free some space, then run 'kb index' again") from None
    except _Vanished:
        raise WriteError(f"the search index {index_dir} was deleted while being built",
                         hint="run 'kb index' again") from None
    ix.close()
    return report


__all__ = ["FACET_FIELDS", "FIELD_BOOSTS", "FILTER_FIELDS", "IndexBusy", "KbError", "RefreshReport",
           "SCHEMA_VERSION", "TEXT_FIELDS", "acronyms", "claim_document", "index_command", "index_numbers",
           "make_schema", "open_index", "period_years", "recover", "refresh", "slug"]
