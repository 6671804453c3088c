"""Finding and reading a knowledge base: claims, bibliography, documents, vocabulary.

Loading never stops at the first problem: every problem is collected with its
file, line and claim id or source key. Problems that keep the base from being
read (syntax, schema, duplicates) are *fatal*; the others are left for
``kb verify`` to report beside its own checks.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kb.errors import InvalidKnowledgeBase, Problem, UnknownClaim, UnknownSource
from kb.model.schema import Claim, Source, Vocabulary
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


def _yaml_loader() -> Any:
    """PyYAML's C loader (when built) with YAML 1.2 booleans.

    YAML 1.1 reads ``on``, ``off``, ``yes`` and ``no`` as booleans, so the review
    field ``on:`` would become the key ``True``; only ``true``/``false`` are
    booleans here, as in YAML 1.2 (and ruamel.yaml, which writes reviews).
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
        _LOADER = Loader
    return _LOADER


def read_yaml(path: Path) -> tuple[Any, Problem | None]:
    """Parse one YAML file; on failure a problem naming the file and line."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem(path, None, None, "yaml-read", f"cannot read the file ({exc})",
                             "check it exists and is UTF-8 text")
    try:
        return yaml.load(text, Loader=_yaml_loader()), None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, Problem(path, line, None, "yaml-syntax", f"invalid YAML: {reason}",
                             "fix the syntax at that line")


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


def load_vocabulary(root: Path) -> tuple[Vocabulary, list[Problem]]:
    path = root / "vocabulary.yaml"
    if not path.is_file():
        path = DEFAULT_VOCABULARY
    data, problem = read_yaml(path)
    if problem:
        return Vocabulary(kinds={}, places={}, topics={}), [problem]
    try:
        return Vocabulary.model_validate(data), []
    except ValidationError as exc:
        return Vocabulary(kinds={}, places={}, topics={}), [
            Problem(path, None, None, "vocabulary-file", f"invalid vocabulary: {exc.errors()[0]['msg']}",
                    "it needs mappings 'kinds', 'places' and 'topics'")
        ]


@dataclass
class ClaimLocation:
    path: Path
    line: int | None


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
        try:
            return self.claims[claim_id]
        except KeyError:
            close = difflib.get_close_matches(claim_id, list(self.claims), n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else "list ids with 'kb search' or 'kb stats'"
            raise UnknownClaim(f"no claim with id '{claim_id}' in {self.root}", hint=hint) from None

    def source(self, key: str) -> Source:
        try:
            return self.sources[key]
        except KeyError:
            close = difflib.get_close_matches(key, list(self.sources), n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else "list keys with 'kb sources'"
            raise UnknownSource(f"no source with key '{key}' in {self.bib_path}", hint=hint) from None

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


def load_claim_file(path: Path) -> tuple[list[Claim], dict[str, int], list[Problem]]:
    """Read one claims file; returns its claims, the line of each id, and its problems."""
    data, problem = read_yaml(path)
    if problem:
        return [], {}, [problem]
    if data is None:  # empty or only comments
        return [], {}, []
    if not isinstance(data, dict) or not isinstance(data.get("claims", []), list) or "document" not in data:
        return [], {}, [Problem(path, 1, None, "claim-file-shape",
                                "a claims file must be a mapping with 'document' (a BibTeX key) and 'claims' (a list)",
                                "see 'kb init' for an example")]
    document = data["document"]
    text = path.read_text(encoding="utf-8")
    id_lines: dict[str, int] = {}
    for m in _ID_LINE.finditer(text):
        id_lines.setdefault(m.group(1), text.count("\n", 0, m.start()) + 1)
    claims: list[Claim] = []
    problems: list[Problem] = []
    positions: list[int] | None = None
    for i, raw in enumerate(data.get("claims") or []):
        claim_id = raw.get("id") if isinstance(raw, dict) else None
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
                                        "correct the claim's fields (see README, 'Adding a claim')"))
    return claims, id_lines, problems


def _check_vocabulary(kb: KnowledgeBase, claim: Claim, where: ClaimLocation) -> None:
    vocab = kb.vocabulary
    checks = [("kind", [claim.kind], vocab.kinds), ("places", claim.places, vocab.places),
              ("topics", claim.topics, vocab.topics)]
    for name, values, allowed in checks:
        for value in values:
            if allowed and value not in allowed:
                close = difflib.get_close_matches(value, list(allowed), n=2)
                hint = f"did you mean {' or '.join(close)}?" if close else "add it to vocabulary.yaml or choose a listed one"
                kb.problems.append(Problem(where.path, where.line, claim.id, "vocabulary",
                                           f"{name} '{value}' is not in the vocabulary", hint))


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
    kb.claim_files = sorted((root / "claims").glob("*.yaml")) + sorted((root / "claims").glob("*.yml"))
    for path in kb.claim_files:
        claims, id_lines, file_problems = load_claim_file(path)
        kb.problems.extend(file_problems)
        for claim in claims:
            where = ClaimLocation(path, id_lines.get(claim.id))
            if claim.id in first_seen:
                first = first_seen[claim.id]
                kb.problems.append(Problem(path, where.line, claim.id, "duplicate-id",
                                           f"claim id also used at {first.path}:{first.line}",
                                           "give the claim a new id; never reuse one"))
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

