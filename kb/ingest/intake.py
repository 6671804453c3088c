"""``ingest()``: a file becomes a document of the base, all or nothing, under the base's write lock.

Writes ``sources/documents/KEY.txt`` (the text as extracted, never rewritten later),
``sources/documents/KEY.yaml`` (its manifest), a BibLaTeX entry appended to
``sources/references.bib`` and ``claims/KEY.yaml`` (``document: KEY``, no claims).
Every check runs before the first write; each write is atomic; if one fails, the
files written so far are removed and references.bib is put back as it was.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import BadInput, WriteError
from kb.store.fileio import atomic_write_text
from kb.store.lock import base_lock
from kb.store.manifest import Manifest, PageStart, manifest_path, sha256_file

SUFFIXES = (".pdf", ".docx", ".odt", ".html", ".htm", ".epub", ".md", ".txt")
KEY_RULE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
"""A BibTeX key that is also a safe file name: a letter, then letters, digits, '_', '.', '-'."""


@dataclass
class Metadata:
    """What the bibliography entry says about the document (flags first, else the file's metadata)."""

    title: str = ""
    authors: list[str] = field(default_factory=list)
    year: str = ""
    type: str = "report"
    publisher: str = ""
    url: str = ""


@dataclass
class Extracted:
    text: str
    pages: list[PageStart]
    extractor: str
    metadata: dict[str, str]


@dataclass
class IngestResult:
    key: str
    files: list[Path]
    """Files written or changed: text, manifest, references.bib, claims file."""
    manifest: Manifest
    entry: str
    """The BibLaTeX entry appended."""
    footnotes: int
    pages: int


def extract(path: Path) -> Extracted:
    """The text of ``path`` in the document convention, by its extension."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BadInput(f"cannot ingest {path.name}: unknown file type '{suffix or '(none)'}'",
                       hint="give a .pdf, .docx, .odt, .html, .epub, .md or .txt file")
    if not path.is_file():
        raise BadInput(f"cannot ingest {path}: no such file", hint="check the path")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}", hint="check the file's permissions") from None
    if suffix == ".pdf":
        from kb.ingest.pdf import extract_pdf, extractor_version

        text, pages, meta = extract_pdf(path)
        return Extracted(text, pages, extractor_version(), meta)
    if suffix in (".md", ".txt"):
        from kb.ingest.text import extract_text

        text, meta = extract_text(path)
        return Extracted(text, [], "kb (text as given)", meta)
    from kb.ingest.pandoc import extract_pandoc, pandoc_version

    text, meta = extract_pandoc(path)
    return Extracted(text, [], pandoc_version(), meta)


def _bib_value(value: str) -> str:
    """A field value as references.bib keeps it: plain text, one line, no braces (the reader strips them)."""
    return " ".join(value.replace("{", "").replace("}", "").split())


def _author(name: str) -> str:
    """'Family, Given' is a person; a name without a comma is an organisation ({{Barnardo's}})."""
    name = _bib_value(name)
    return name if "," in name else "{" + name + "}"


def bib_entry(key: str, meta: Metadata) -> str:
    fields = []
    if meta.authors:
        fields.append(("author", " and ".join(_author(a) for a in meta.authors)))
    fields += [("title", _bib_value(meta.title)), ("year", _bib_value(meta.year))]
    if meta.publisher:
        fields.append(("institution" if meta.type in ("report", "techreport") else "publisher",
                       _bib_value(meta.publisher)))
    if meta.url:
        fields.append(("url", _bib_value(meta.url)))
    body = "".join(f"  {name:<11} = {{{value}}},\n" for name, value in fields if value)
    return f"@{meta.type}{{{key},\n{body}}}\n"


def _resolve_metadata(given: Metadata, found: dict[str, str], filename: str) -> Metadata:
    meta = Metadata(**{**given.__dict__, "authors": list(given.authors)})
    meta.title = meta.title or found.get("title", "")
    if not meta.authors and found.get("author"):
        meta.authors = [a.strip() for a in re.split(r";|\band\b", found["author"]) if a.strip()]
    meta.year = meta.year or found.get("year", "")
    missing = [flag for flag, value in (("--title", meta.title), ("--year", meta.year)) if not value]
    if not meta.authors and not meta.publisher:
        missing.append("--author (or --publisher)")
    if missing:
        raise BadInput(f"{filename} does not say its {', '.join(m.split()[0].lstrip('-') for m in missing)}",
                       hint=f"give {' and '.join(missing)}; nothing was written")
    if not re.fullmatch(r"\d{4}", meta.year):
        raise BadInput(f"--year must be a four-digit year, not '{meta.year}'", hint="e.g. --year 2012")
    return meta


def _used(root: Path, key: str) -> str | None:
    bib = root / "sources" / "references.bib"
    if bib.is_file():
        text = bib.read_text(encoding="utf-8")
        if re.search(r"@\w+\s*\{\s*" + re.escape(key) + r"\s*,", text, re.IGNORECASE):
            return "sources/references.bib has an entry with that key"
    for rel in (f"sources/documents/{key}.txt", f"sources/documents/{key}.yaml", f"claims/{key}.yaml"):
        if (root / rel).exists():
            return f"{rel} exists"
    return None


def ingest(root: Path, file: Path, key: str, meta: Metadata | None = None, *,
           today: _dt.date | None = None) -> IngestResult:
    """Take ``file`` into the base at ``root`` as document ``key`` (see the module docstring)."""
    root, file = Path(root), Path(file)
    from kb.store.bibliography import _TYPES as KNOWN_TYPES

    if meta is not None and meta.type.lower() not in KNOWN_TYPES:
        raise BadInput(f"unsupported entry type '{meta.type}'",
                       hint=f"use --type with one of {', '.join(sorted(KNOWN_TYPES))}")
    if not KEY_RULE.match(key):
        raise BadInput(f"'{key}' is not a valid key: a letter, then letters, digits, '_', '.' or '-'",
                       hint="e.g. --key smith2020report")
    if not (root / "sources").is_dir():
        raise BadInput(f"{root} has no sources/ directory", hint="create the base with 'kb init DIR'")
    problem = _used(root, key)
    if problem:
        raise BadInput(f"the key '{key}' is already used: {problem}", hint="choose another --key")
    extracted = extract(file)
    meta = _resolve_metadata(meta or Metadata(), extracted.metadata, file.name)
    text = extracted.text
    text_bytes = text.encode("utf-8")
    documents = root / "sources" / "documents"
    manifest = Manifest(path=manifest_path(documents, key), source_file=file.name,
                        source_sha256=sha256_file(file), text_sha256=hashlib.sha256(text_bytes).hexdigest(),
                        extractor=extracted.extractor, extracted=(today or _dt.date.today()).isoformat(),
                        complete=False, pages=extracted.pages)
    entry = bib_entry(key, meta)
    from kb.store.document import Document

    footnotes = len(Document(key, text).footnotes)
    import yaml

    manifest_text = ("# Provenance of " + key + ".txt, written by kb ingest; verify compares text_sha256.\n"
                     + yaml.safe_dump(manifest.to_dict(), sort_keys=False, allow_unicode=True, width=1000))
    claims_text = f"document: {key}\nclaims: []\n"
    with base_lock(root):
        problem = _used(root, key)  # again, now that no other edit runs
        if problem:
            raise BadInput(f"the key '{key}' is already used: {problem}", hint="choose another --key")
        bib = root / "sources" / "references.bib"
        old_bib = bib.read_text(encoding="utf-8") if bib.is_file() else None
        new_bib = (old_bib or "")
        if new_bib and not new_bib.endswith("\n"):
            new_bib += "\n"
        new_bib += ("\n" if new_bib else "") + f"% {key}: taken in by kb ingest from {file.name}\n" + entry
        made_documents = not documents.is_dir()
        try:
            documents.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(f"cannot create {documents}: {exc.strerror or exc}",
                             hint="check the base is writable; nothing was written") from None
        plan = [(documents / f"{key}.txt", text), (manifest.path, manifest_text),
                (root / "claims" / f"{key}.yaml", claims_text), (bib, new_bib)]
        written: list[Path] = []
        try:
            for path, content in plan:
                atomic_write_text(path, content)
                written.append(path)
        except BaseException:
            for path in written:
                if path == bib and old_bib is not None:
                    atomic_write_text(bib, old_bib)
                else:
                    path.unlink(missing_ok=True)
            if made_documents:
                documents.rmdir()
            raise
    return IngestResult(key, [p for p, _ in plan], manifest, entry, footnotes, len(extracted.pages))
