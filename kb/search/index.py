"""The Whoosh index on disk: build, update, healing (the generations, manifests and lock it
shares with tantivy are in :mod:`kb.search.generations`; what a claim's document holds is in
:mod:`kb.search.documents`; queries are translated in :mod:`kb.search.engines.whoosh`).

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

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import InvalidKnowledgeBase, KbError, WriteError
from kb.search import generations
from kb.search.documents import (
    acronyms,
    claim_document,
    index_numbers,
    make_schema,
    period_years,
    slug,
    text_words,
    tune_whoosh,
)
from kb.search.generations import (  # noqa: F401 (re-exported: the shared pieces, as before)
    LOCK_TIMEOUT,
    RETRIES,
    RETRY_SECONDS,
    VERIFY_BYTES,
    Generation,
    IndexBusy,
    Notice,
    Progress,
    RefreshReport,
    Snapshot,
    _clean_orphans,
    _Corrupt,
    _disk_problem,
    _locked,
    _new_generation,
    _NoSpace,
    _raise_write_problem,
    _read_claims,
    _read_sources,
    _ReadOnly,
    _remove_old_generations,
    _Vanished,
    claim_files,
    current_name,
    diff_claims,
    snapshot,
)
from kb.store.fileio import atomic_write_text

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
"""Bump when the schema or what is stored changes: an older index is rebuilt."""

TEXT_FIELDS = ("statement", "quote", "section", "cited")
FIELD_BOOSTS = {"statement": 2.0, "quote": 1.2, "section": 0.6, "cited": 0.8}
FILTER_FIELDS = frozenset({"id", "kind", "place", "topic", "source", "citekey", "year", "period",
                           "status", "value", "document"})
FACET_FIELDS = ("kind", "place", "topic", "source", "status", "year")
LIMIT_MB = 512
"""Whoosh's sort buffer per writer: at 128 MB a 20k build spilled runs to disk and spent
23 s of 70 s pickling and reading them back (issue 13's profile)."""
BIG_BUILD = 2000  # claims: above this a rebuild uses Whoosh's multi-segment writer















# --- the files an index is built from ----------------------------------------------














# --- generations, manifests, the lock ------------------------------------------------




class WhooshGeneration(Generation):
    """A generation whose files are a Whoosh index (``g-*/whoosh``)."""

    @property
    def whoosh_dir(self) -> Path:
        return self.files_dir

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


def current_generation(index_dir: Path) -> WhooshGeneration | None:
    """The live Whoosh generation, or None (``_Corrupt`` when its pointer or manifest is damaged)."""
    return generations.current_generation(index_dir, WhooshGeneration)










def _is_fresh(gen: Generation, snap: Snapshot) -> bool:
    s = gen.stats
    return (s.get("schema") == SCHEMA_VERSION and s.get("files") == snap.files and s.get("bib") == snap.bib
            and s.get("vocabulary") == snap.vocabulary)






# --- building and refreshing -----------------------------------------------------------






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
    gen = WhooshGeneration(_new_generation(index_dir).path)
    try:
        gen.whoosh_dir.mkdir()
        ix = create_in(str(gen.whoosh_dir), make_schema())
        state, words, count = _build_into(ix, root, snap, progress)
        gen.write_words(words)
        gen.write_vocabulary(root)
        gen.write_manifests(snap, state, ix.doc_count(), SCHEMA_VERSION)
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
    new_files, fresh_docs, new_words, gone = diff_claims(root, snap, old_files, to_parse, sources, forced)
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
    gen.write_manifests(snap, state, ix.doc_count(), SCHEMA_VERSION)
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
    return WhooshGeneration(Path(folder).parent) if folder else None


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




def _rebuild_checked(root: Path, index_dir: Path, snap: Snapshot, progress: Progress | None) -> RefreshReport:
    try:
        return rebuild(root, index_dir, snap, progress=progress)
    except (OSError, WriteError) as exc:
        _raise_write_problem(exc, index_dir)
        raise  # not reached




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


__all__ = [
    "FACET_FIELDS",
    "FIELD_BOOSTS",
    "FILTER_FIELDS",
    "SCHEMA_VERSION",
    "TEXT_FIELDS",
    "IndexBusy",
    "KbError",
    "RefreshReport",
    "acronyms",
    "claim_document",
    "index_command",
    "index_numbers",
    "make_schema",
    "open_index",
    "period_years",
    "recover",
    "refresh",
    "slug",
]
