"""Finding and reading a knowledge base: claims, bibliography, documents, vocabulary.

Loading never stops at the first problem: every problem is collected with its
file, line and claim id or source key. Problems that keep the base from being
read (syntax, schema, duplicates) are *fatal*; the others are left for
``kb verify`` to report beside its own checks.
"""

from __future__ import annotations

import difflib
import gc
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kb.errors import InvalidKnowledgeBase, Problem, UnknownClaim, UnknownSource
from kb.model.schema import CLAIM_ID_RULE, Claim, Source, Vocabulary
from kb.store.document import Document
from kb.store.locate import (  # noqa: F401 (re-exported)
    PACKAGE_DIR,
    bundled_root,
    index_dir_for,
    resolve_root,
    user_cache_dir,
)

DEFAULT_VOCABULARY = PACKAGE_DIR / "data" / "vocabulary.yaml"


_LOADER: Any = None


_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s\[\]{},]")
"""Where a YAML anchor (``&name``) may stand: without one, no alias can refer to anything."""


def _yaml_loader(text: str | None = None) -> Any:
    """PyYAML's C loader (when built) with YAML 1.2 booleans, refusing duplicate keys and aliases.

    YAML 1.1 reads ``on``, ``off``, ``yes`` and ``no`` as booleans, so the review
    field ``on:`` would become the key ``True``; only ``true``/``false`` are
    booleans here, as in YAML 1.2 (and ruamel.yaml, which writes reviews). Given the
    ``text`` to read and no anchor in it, the loader skips the (slower) alias check.
    """
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class Loader(base):  # type: ignore[misc,valid-type]
            pass

        Loader.yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }
        Loader.add_implicit_resolver(
            "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
        Loader.construct_mapping = _construct_mapping_once  # type: ignore[method-assign]

        class AliasRefusingLoader(Loader):  # type: ignore[misc,valid-type]
            construct_object = _construct_once

        _LOADER = (Loader, AliasRefusingLoader)
    plain, refusing = _LOADER
    return plain if text is not None and not _ANCHOR.search(text) else refusing


def _construct_once(self: Any, node: Any, deep: bool = False) -> Any:
    """Construct a node, refusing one met a second time: that is a YAML alias (``*name``).

    Aliases are refused rather than expanded: a base's files are edited line by line
    (``kb review``), which an alias would tie to another claim, and an alias bomb
    (aliases of aliases) would expand without bound.
    """
    import yaml

    if node in self.constructed_objects or node in self.recursive_objects:
        raise yaml.constructor.ConstructorError(
            None, None, "a YAML alias (*name) repeats the anchored value here; aliases are not "
            "accepted in a knowledge base: write the value out in full", node.start_mark)
    return yaml.constructor.BaseConstructor.construct_object(self, node, deep)


def _construct_mapping_once(self: Any, node: Any, deep: bool = False) -> Any:
    """A mapping whose keys are each written once (PyYAML would keep the last silently)."""
    import yaml

    seen: dict[tuple[str, str], int] = {}
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            ident = (key_node.tag, key_node.value)
            if ident in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key_node.value}' (first at line {seen[ident]})", mark)
            seen[ident] = key_node.start_mark.line + 1
    return yaml.constructor.SafeConstructor.construct_mapping(self, node, deep)


def regular_file_problem(path: Path, root: Path | None = None) -> str | None:
    """Why ``path`` must not be read as a base's file (a FIFO, a device, a link out of the base), or None.

    Never opens the file: opening a FIFO for reading blocks until a writer comes.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not stat.S_ISREG(info.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode)
                or stat.S_ISBLK(info.st_mode) else "a directory" if stat.S_ISDIR(info.st_mode) else "a socket")
        return f"is {kind}, not a regular file"
    if root is not None and path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(root.resolve()):
            return f"is a symbolic link leading out of the knowledge base (to {target})"
    return None


def read_yaml(path: Path) -> tuple[Any, Problem | None]:
    """Parse one YAML file; on failure a problem naming the file and line."""
    import yaml

    refused = regular_file_problem(path)
    if refused:
        return None, Problem(path, None, None, "yaml-read", f"not read: the file {refused}",
                             "keep only regular YAML files there")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, Problem(path, text_line(exc.object, exc.start), None, "yaml-read",
                             f"not UTF-8 text: byte {exc.start} (0x{exc.object[exc.start]:02x}) cannot be decoded",
                             "save the file as UTF-8")
    except OSError as exc:
        return None, Problem(path, None, None, "yaml-read", f"cannot read the file ({exc.strerror or exc})",
                             "check it exists and is readable")
    try:
        return yaml.load(text, Loader=_yaml_loader(text)), None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, Problem(path, line, None, "yaml-syntax", f"invalid YAML: {reason}",
                             "fix the syntax at that line")


def text_line(data: bytes, offset: int) -> int:
    """1-based line of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


def item_lines(path: Path, key: str) -> list[int]:
    """1-based line of each item of the file's list under ``key`` (or of the file's own list).

    Only computed when something is wrong: PyYAML composes the file again to get marks.
    """
    import yaml

    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_yaml_loader())
    except (OSError, yaml.YAMLError):
        return []
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
    if isinstance(node, yaml.SequenceNode):
        return [item.start_mark.line + 1 for item in node.value]
    return []


VOCABULARY_FIELDS = ("kinds", "places", "topics")


def _vocabulary_entries(path: Path, data: Any) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """A vocabulary file's entries: each of kinds/places/topics a mapping name -> description
    (or a list of names); any of them may be absent."""
    if data is None:
        return {}, []
    hint = "it is a mapping with any of 'kinds', 'places', 'topics', each a mapping of name: description"
    if not isinstance(data, dict):
        return {}, [Problem(path, 1, None, "vocabulary-file", "invalid vocabulary: not a mapping", hint)]
    entries: dict[str, dict[str, str]] = {}
    for name, value in data.items():
        if name not in VOCABULARY_FIELDS:
            return {}, [Problem(path, 1, None, "vocabulary-file", f"invalid vocabulary: unknown key '{name}'", hint)]
        if isinstance(value, list):
            value = {item: "" for item in value}
        if value is None:
            value = {}
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, (str, type(None)))
                                                  for k, v in value.items()):
            return {}, [Problem(path, 1, None, "vocabulary-file",
                                f"invalid vocabulary: '{name}' must map names to descriptions", hint)]
        entries[name] = {k: v or "" for k, v in value.items()}
    return entries, []


def load_vocabulary(root: Path) -> tuple[Vocabulary, list[Problem]]:
    """The default vocabulary (kb/data/vocabulary.yaml) extended by the base's own ``vocabulary.yaml``.

    Merge rule: each of kinds, places and topics is the union of both; where a name is in
    both, the base's description wins. A base cannot remove a default entry (it may leave it
    unused). Kinds are fixed by the data model: a base may describe them, not add to them.
    """
    merged: dict[str, dict[str, str]] = {name: {} for name in VOCABULARY_FIELDS}
    problems: list[Problem] = []
    for path in (DEFAULT_VOCABULARY, root / "vocabulary.yaml"):
        if path != DEFAULT_VOCABULARY and not path.is_file():
            continue
        data, problem = read_yaml(path)
        entries, found = ([], [problem]) if problem else _vocabulary_entries(path, data)
        problems += found
        for name, values in dict(entries).items():
            merged[name].update(values)
    return Vocabulary(**merged), problems


@dataclass
class ClaimLocation:
    path: Path
    line: int | None


def did_you_mean(name: str, known: Iterable[str], otherwise: str) -> str:
    """'did you mean a, b?' for the known names close to ``name``, else ``otherwise``."""
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    return f"did you mean {', '.join(close)}?" if close else otherwise


@dataclass
class KnowledgeBase:
    """Everything a knowledge base holds, with lookups; built by :func:`load_kb`."""

    root: Path
    index_dir: Path
    vocabulary: Vocabulary
    claims: dict[str, Claim] = field(default_factory=dict)
    locations: dict[str, ClaimLocation] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    claim_files: list[Path] = field(default_factory=list)

    @property
    def bib_path(self) -> Path:
        return self.root / "sources" / "references.bib"

    @property
    def documents_dir(self) -> Path:
        return self.root / "sources" / "documents"

    @cached_property
    def document_keys(self) -> list[str]:
        """Keys of the documents whose text the base holds."""
        if not self.documents_dir.is_dir():
            return []
        return sorted(p.stem for p in self.documents_dir.glob("*.txt"))

    @cached_property
    def _documents(self) -> dict[str, Document]:
        return {}

    def document(self, key: str) -> Document | None:
        """The text of document ``key`` (read once), or None when the base lacks it."""
        if key not in self._documents:
            path = self.documents_dir / f"{key}.txt"
            if not path.is_file():
                return None
            self._documents[key] = Document.read(key, path)
        return self._documents[key]

    @property
    def fatal_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.fatal]

    def raise_if_unreadable(self) -> None:
        if self.fatal_problems:
            raise InvalidKnowledgeBase(self.fatal_problems)

    def claim(self, claim_id: str) -> Claim:
        if claim_id in self.claims:
            return self.claims[claim_id]
        raise UnknownClaim(f"no claim with id '{claim_id}' in {self.root}",
                           hint=did_you_mean(claim_id, self.claims, "list ids with 'kb search' or 'kb stats'"))

    def source(self, key: str) -> Source:
        if key in self.sources:
            return self.sources[key]
        raise UnknownSource(f"no source with key '{key}' in {self.bib_path}",
                            hint=did_you_mean(key, self.sources, "list keys with 'kb sources'"))

    def citing(self, key: str) -> list[Claim]:
        """Claims that cite ``key`` or come from the document ``key``."""
        return [c for c in self.claims.values() if key in c.cited_keys]

    def from_document(self, key: str) -> list[Claim]:
        return [c for c in self.claims.values() if c.document == key]

    def __iter__(self) -> Iterator[Claim]:
        return iter(self.claims.values())

    def __len__(self) -> int:
        return len(self.claims)


# --- loading ---------------------------------------------------------------------

_ID_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?id:[ \t]*['\"]?([^'\"\s#]+)", re.MULTILINE)
CLAIM_FILE_KEYS = ("document", "claims")
"""The keys a claims file's top level may have."""


def _id_lines(text: str) -> dict[str, list[int]]:
    """Every line where each id is written (one pass: linear in the file's size)."""
    lines: dict[str, list[int]] = {}
    line, last = 1, 0
    for m in _ID_LINE.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        lines.setdefault(m.group(1), []).append(line)
    return lines


def _shape_problem(path: Path, data: Any) -> Problem | None:
    """What is wrong with a claims file's top level, or None."""
    hint = "a claims file is a mapping with 'document' (a BibTeX key) and 'claims' (a list); see 'kb init'"
    if not isinstance(data, dict):
        return Problem(path, 1, None, "claim-file-shape", "a claims file must be a mapping", hint)
    unknown = [str(k) for k in data if k not in CLAIM_FILE_KEYS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], CLAIM_FILE_KEYS, n=1)
        guess = f"did you mean '{close[0]}'? " if close else ""
        return Problem(path, 1, None, "claim-file-shape",
                       f"unknown top-level key '{unknown[0]}' (a claims file has only 'document' and 'claims')",
                       f"{guess}{hint}")
    if "document" not in data or not isinstance(data["document"], str):
        return Problem(path, 1, None, "claim-file-shape", "the file names no 'document' (a BibTeX key)", hint)
    if not isinstance(data.get("claims", []), list):
        return Problem(path, 1, None, "claim-file-shape", "'claims' must be a list of claims", hint)
    return None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No garbage collection while a big file's objects are built (none of them is garbage):
    the collector would walk them again and again (loading is 2-3 times faster without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_TOP_CLAIMS = re.compile(r"^claims:[ \t]*(?:#.*)?$", re.MULTILINE)
_NOT_AN_ITEM = re.compile(r"^(?![ \t]|#|-[ \t]|-$|$)", re.MULTILINE)
_ITEM = re.compile(r"^-(?=[ \t]|$)", re.MULTILINE)
CHUNK = 2000
"""Claims parsed at a time from a big file."""
CHUNKED_ABOVE = 1_000_000
"""Files of more characters than this are parsed in chunks when their shape allows."""


def _read_claims_in_chunks(path: Path, text: str) -> tuple[Any, bool]:
    """Parse a claims file whose ``claims:`` list comes last, at the margin, a few thousand items
    at a time, so that memory holds one chunk's YAML nodes, not the whole file's. Returns
    (data, True), or (None, False) when the file is not of that shape or a chunk fails: then
    the whole file is parsed at once (and its errors reported with their lines)."""
    import yaml

    found = list(_TOP_CLAIMS.finditer(text))
    if len(found) != 1:
        return None, False
    head, rest = text[:found[0].start()], text[found[0].end():]
    if _NOT_AN_ITEM.search(rest):
        return None, False
    try:
        data = yaml.load(head, Loader=_yaml_loader(head))
        if not isinstance(data, dict) or "claims" in data:
            return None, False
        starts = [m.start() for m in _ITEM.finditer(rest)]
        claims: list[Any] = []
        for i in range(0, len(starts), CHUNK):
            end = starts[i + CHUNK] if i + CHUNK < len(starts) else len(rest)
            part = rest[starts[i]:end]
            chunk = yaml.load(part, Loader=_yaml_loader(part))
            if not isinstance(chunk, list):
                return None, False
            claims.extend(chunk)
    except yaml.YAMLError:
        return None, False
    data["claims"] = claims
    return data, True


def _read_claim_yaml(path: Path) -> tuple[Any, str, Problem | None]:
    """A claims file's data, its text and its problem; big files are parsed in chunks."""
    refused = regular_file_problem(path)
    if refused is None:
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
        if text is not None and len(text) > CHUNKED_ABOVE:
            data, ok = _read_claims_in_chunks(path, text)
            if ok:
                return data, text, None
    data, problem = read_yaml(path)
    return data, "" if problem else path.read_text(encoding="utf-8"), problem


def load_claim_file(path: Path) -> tuple[list[Claim], dict[str, int], list[Problem]]:
    """Read one claims file; returns its claims, the line of each id, and its problems.

    An id written twice in the file is a ``duplicate-id`` problem naming both lines; the
    second claim is left out. Time and memory are linear in the file's size.
    """
    with _gc_paused():
        return _load_claim_file(path)


def _load_claim_file(path: Path) -> tuple[list[Claim], dict[str, int], list[Problem]]:
    data, text, problem = _read_claim_yaml(path)
    if problem:
        return [], {}, [problem]
    if data is None:  # empty or only comments
        return [], {}, []
    shape = _shape_problem(path, data)
    if shape:
        return [], {}, [shape]
    document = data["document"]
    all_lines = _id_lines(text)
    del text
    id_lines = {claim_id: lines[0] for claim_id, lines in all_lines.items()}
    claims: list[Claim] = []
    problems: list[Problem] = []
    positions: list[int] | None = None
    seen: dict[str, int] = {}
    raws = data.get("claims") or []
    for i, raw in enumerate(raws):
        raws[i] = None  # each claim's raw mapping is dropped once validated: memory holds one copy
        claim_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(claim_id, str) and claim_id in seen:
            lines = all_lines.get(claim_id, [])
            count = seen[claim_id]
            seen[claim_id] += 1
            first = lines[0] if lines else None
            line = lines[count] if count < len(lines) else None
            problems.append(Problem(path, line, claim_id, "duplicate-id",
                                    f"claim id '{claim_id}' is used twice: {path.name}:{first} and {path.name}:{line}",
                                    "give the second claim the next free id; never reuse one"))
            continue
        if isinstance(claim_id, str):
            seen[claim_id] = 1
        try:
            if not isinstance(raw, dict):
                raise TypeError
            claims.append(Claim.model_validate({**raw, "document": document}))
        except (ValidationError, TypeError) as exc:
            if positions is None:
                positions = item_lines(path, "claims")
            line = id_lines.get(str(claim_id)) or (positions[i] if i < len(positions) else None)
            subject = str(claim_id) if claim_id else f"claim #{i + 1}"
            errors = exc.errors() if isinstance(exc, ValidationError) else [
                {"loc": (), "msg": "a claim must be a mapping of fields"}]
            for err in errors:
                where = ".".join(str(p) for p in err["loc"])
                message = f"field '{where}': {err['msg']}" if where else err["msg"]
                problems.append(Problem(path, line, subject, "claim-schema", f"invalid claim: {message}",
                                        _schema_hint(err)))
    return claims, id_lines, problems


def _schema_hint(err: Any) -> str:
    loc = [str(p) for p in err.get("loc", ())]
    if loc and loc[0] == "id":
        return f"a claim id is {CLAIM_ID_RULE}, e.g. ctf-0042"
    if err.get("type") == "extra_forbidden":
        return "remove or rename the key (see README, 'Adding a claim', for every field)"
    return "correct the claim's fields (see README, 'Adding a claim')"


def claim_file_candidates(root: Path) -> tuple[list[Path], list[Problem]]:
    """The claims files of a base (``claims/*.yaml`` and ``*.yml``, regular files inside the
    base), and a problem for each file left out: a FIFO, device or link leading out of the
    base; a claims file in a subfolder or named ``.YAML``/``.Yml``... (never read silently)."""
    folder = root / "claims"
    if not folder.is_dir():
        return [], []
    files: list[Path] = []
    problems: list[Problem] = []
    for path in sorted(folder.rglob("*")):
        suffix = path.suffix
        if suffix.lower() not in (".yaml", ".yml") or path.name.startswith("."):
            continue
        if path.parent != folder:
            problems.append(Problem(path, None, None, "claim-file-ignored",
                                    "claims in a subfolder of claims/ are not read",
                                    "move the file up into claims/"))
            continue
        if suffix not in (".yaml", ".yml"):
            problems.append(Problem(path, None, None, "claim-file-ignored",
                                    f"not read: a claims file ends in .yaml or .yml (lower case), not {suffix}",
                                    f"rename it to {path.stem}.yaml"))
            continue
        refused = regular_file_problem(path, root)
        if refused:
            problems.append(Problem(path, None, None, "claim-file-ignored", f"not read: the file {refused}",
                                    "keep only regular YAML files in claims/"))
            continue
        files.append(path)
    files.sort(key=lambda p: (p.suffix != ".yaml", p.name))
    return files, problems


def _check_vocabulary(kb: KnowledgeBase, claim: Claim, where: ClaimLocation) -> None:
    vocab = kb.vocabulary
    checks = [("kind", [claim.kind], vocab.kinds), ("places", claim.places, vocab.places),
              ("topics", claim.topics, vocab.topics)]
    for name, values, allowed in checks:
        for value in values:
            if allowed and value not in allowed:
                close = difflib.get_close_matches(value, list(allowed), n=2)
                listed = f"valid {name}: {', '.join(sorted(allowed))}"
                hint = (f"did you mean {' or '.join(close)}? " if close else "") + (
                    f"{listed}; or add it to the base's vocabulary.yaml")
                kb.problems.append(Problem(where.path, where.line, claim.id, "vocabulary",
                                           f"{name} '{value}' is not in the vocabulary", hint))


def _has_content(path: Path) -> bool:
    """Whether a YAML file holds anything but blank lines and comments."""
    try:
        return any(line.strip() and not line.lstrip().startswith("#")
                   for line in path.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return True


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def load_kb(kb_dir: str | Path | None = None, *, strict: bool = True) -> KnowledgeBase:
    """Read the knowledge base; with ``strict``, raise when it cannot be read."""
    root = resolve_root(kb_dir)
    vocabulary, problems = load_vocabulary(root)
    kb = KnowledgeBase(root=root, index_dir=index_dir_for(root), vocabulary=vocabulary, problems=problems)
    bib = kb.bib_path
    if bib.is_file():
        from kb.store.bibliography import (
            parse_bibliography,  # bibtexparser is slow to import
        )

        kb.sources, bib_problems = parse_bibliography(bib)
        kb.problems.extend(bib_problems)
    first_seen: dict[str, ClaimLocation] = {}
    candidates, skipped = claim_file_candidates(root)
    kb.problems.extend(skipped)
    for path in candidates:
        claims, id_lines, file_problems = load_claim_file(path)
        kb.problems.extend(file_problems)
        if claims or file_problems or _has_content(path):  # not a file of comments only (the scaffold's example)
            kb.claim_files.append(path)
        for claim in claims:
            where = ClaimLocation(path, id_lines.get(claim.id))
            if claim.id in first_seen:
                first = first_seen[claim.id]
                kb.problems.append(Problem(path, where.line, claim.id, "duplicate-id",
                                           f"claim id '{claim.id}' is used twice: {_rel(first.path, root)}:"
                                           f"{first.line} and {_rel(path, root)}:{where.line}",
                                           "give the second claim the next free id; never reuse one"))
                continue
            first_seen[claim.id] = where
            kb.claims[claim.id] = claim
            kb.locations[claim.id] = where
            _check_vocabulary(kb, claim, where)
            for cite in claim.cites:
                if cite.key not in kb.sources:
                    kb.problems.append(Problem(path, where.line, claim.id, "unknown-source",
                                               f"cites '{cite.key}', which is not in {bib.name}",
                                               "add the work to sources/references.bib or fix the key"))
            if kb.sources and claim.document not in kb.sources:
                kb.problems.append(Problem(path, where.line, claim.id, "unknown-document",
                                           f"comes from document '{claim.document}', which is not in {bib.name}",
                                           "add the document's entry to sources/references.bib"))
    if strict:
        kb.raise_if_unreadable()
    return kb

