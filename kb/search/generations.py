"""What every engine's index shares: generations, their manifests and checksums, the
writer lock, the input files' snapshot, and how failed writes are classified.

An engine keeps its index under ``index_dir`` as generations (see :mod:`kb.search.index`
for the layout): ``CURRENT`` names the live ``g-*`` directory, written atomically after a
build; ``stats.json`` (input files' sizes and mtimes, schema, claim count, checksums of
the engine's files), ``state.json``, ``words.txt`` and ``vocabulary.json`` sit beside the
engine's own files (``g-*/whoosh`` or ``g-*/tantivy``). Whoosh (:mod:`kb.search.index`)
and tantivy (:mod:`kb.search.engines.tantivy`) both build on this module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from kb.errors import InvalidKnowledgeBase, WriteError
from kb.search.documents import (
    acronyms,
    claim_document,
    slug,
    source_summary,
    text_words,
)
from kb.store.fileio import atomic_write_text
from kb.store.lock import LockBusy, NotWritable, file_lock, writable_error

LOCK_TIMEOUT = float(os.environ.get("KB_INDEX_LOCK_TIMEOUT", "5"))


VERIFY_BYTES = int(os.environ.get("KB_INDEX_VERIFY_BYTES", str(8 << 20)))
"""Indexes up to this size (about 5,000 claims) are checked against their checksums at every
open, a few ms; larger ones by `kb index` and by the verified read of every search."""


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


@dataclass
class Generation:
    """One built index: its directory and manifests; an engine's subclass opens its files
    (``files_dir``) and names the file its writer creates first (``marker``)."""

    path: Path
    stats: dict[str, Any] = field(default_factory=dict)
    engine: ClassVar[str] = "whoosh"
    """The folder of the engine's files in the generation."""
    marker: ClassVar[str] = "*.toc"
    """A file the engine writes first and deletes last: its absence means deleted."""
    rewritten: ClassVar[tuple[str, ...]] = (".toc",)
    """Suffixes of files the engine rewrites in place (always summed again)."""

    @property
    def files_dir(self) -> Path:
        return self.path / self.engine

    def deleted(self) -> bool:
        """Whether this generation is (being) deleted by someone else (``rm -rf index/``):
        its directory, or the file its engine writes first (``marker``), is gone."""
        try:
            return not any(self.files_dir.glob(self.marker))
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
        for path in sorted(self.files_dir.iterdir()):
            if not path.is_file() or path.suffix == ".lock" or path.name.endswith("WRITELOCK"):
                continue
            size = path.stat().st_size
            if path.name in known and known[path.name][0] == size and not path.name.endswith(self.rewritten):
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
            path = self.files_dir / name
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

    def write_manifests(self, snap: Snapshot, state: dict[str, Any], docs: int, schema: Any) -> None:
        # state first, stats last: stats.json says which file versions the index reflects,
        # so a crash in between only makes the next refresh re-check those files.
        atomic_write_text(self.path / "state.json", json.dumps(state, separators=(",", ":")))
        sums = self.checksums(self.stats.get("checksums"))
        self.stats = {"schema": schema, "docs": docs, **snap.to_dict(), "checksums": sums}
        atomic_write_text(self.path / "stats.json", json.dumps(self.stats, separators=(",", ":")))


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


RETRIES = 4
"""How often a search is run again after a failed read (the index healed in between)."""


RETRY_SECONDS = 10.0
"""How long a reader keeps retrying while writers swap or delete the generation it opens."""


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



def current_generation(index_dir: Path, cls: type[Generation] = Generation) -> Generation | None:
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
    return cls(path, stats)


def diff_claims(root: Path, snap: Snapshot, old_files: dict[str, dict[str, str]], to_parse: set[str],
                sources: dict[str, dict[str, Any]], forced: set[str] | frozenset[str] = frozenset(),
                ) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, Any]], set[str], list[str]]:
    """Parse the files ``to_parse``; returns the new per-file table (claim id -> index key),
    the documents of claims whose key changed (or ``forced``), their words, and the ids of
    claims gone from every file. Both engines' updates run on it."""
    old_keys = {cid: key for entries in old_files.values() for cid, key in entries.items()}
    new_files = {rel: entries for rel, entries in old_files.items() if rel in snap.files}
    fresh: dict[str, dict[str, Any]] = {}
    words: set[str] = set()
    for rel in sorted(to_parse):
        entries = {}
        for claim in _read_claims(root / rel):
            doc, key = claim_document(claim, sources)
            entries[claim.id] = key
            if old_keys.get(claim.id) != key or claim.id in forced:
                fresh.setdefault(claim.id, doc)
                words |= text_words(f"{doc['statement']} {doc['quote']}")
        new_files[rel] = entries
    present = {cid for entries in new_files.values() for cid in entries}
    return new_files, fresh, words, [cid for cid in old_keys if cid not in present]
