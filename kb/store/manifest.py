"""A document's manifest: where its text came from, and where each page starts.

``sources/documents/<key>.yaml`` sits beside ``<key>.txt``::

    source_file: report.pdf          # the original file's name
    source_sha256: 3f2a...           # of the original file
    text_sha256: 9b1c...             # of <key>.txt as written; verify compares it
    extractor: pypdfium2 5.15.2      # what made the text, and its version
    extracted: 2026-11-29            # when
    complete: false                  # true: every number and footnote must be claimed (errors, not warnings)
    pages:                           # where each page of the original starts in the text
    - {page: "1", offset: 0}         # page label as printed ("iv", "12"), character offset
    - {page: "2", offset: 2412}

Every key is optional; a document without a manifest has no page map. This module
only reads and writes the manifest; kb/ingest makes it, verify checks it.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PageStart:
    page: str
    """The page's label as printed."""
    offset: int
    """Character offset in the document text where the page starts."""


@dataclass
class Manifest:
    path: Path
    source_file: str = ""
    source_sha256: str = ""
    text_sha256: str = ""
    extractor: str = ""
    extracted: str = ""
    complete: bool = False
    pages: list[PageStart] = field(default_factory=list)

    def page_at(self, offset: int) -> str | None:
        """The label of the page holding character ``offset``, or None without a page map."""
        if not self.pages:
            return None
        starts = [p.offset for p in self.pages]
        i = bisect.bisect_right(starts, offset) - 1
        return self.pages[max(i, 0)].page

    def pages_of(self, start: int, end: int) -> str | None:
        """'12' or '12-13' for the span [start, end), or None without a page map."""
        first, last = self.page_at(start), self.page_at(max(start, end - 1))
        if first is None:
            return None
        return first if first == last else f"{first}-{last}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source_file": self.source_file, "source_sha256": self.source_sha256,
            "text_sha256": self.text_sha256, "extractor": self.extractor, "extracted": self.extracted,
            "complete": self.complete,
            "pages": [{"page": p.page, "offset": p.offset} for p in self.pages],
        }
        return {k: v for k, v in data.items() if v not in ("", [], None)} | {"complete": self.complete}


def manifest_path(documents_dir: Path, key: str) -> Path:
    return documents_dir / f"{key}.yaml"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_from_dict(path: Path, data: Any) -> Manifest:
    """A manifest from parsed YAML; ValueError naming the field when it has the wrong shape."""
    if not isinstance(data, dict):
        raise ValueError("a document manifest must be a mapping")
    pages = []
    for i, item in enumerate(data.get("pages") or []):
        if not isinstance(item, dict) or "offset" not in item or "page" not in item:
            raise ValueError(f"pages[{i}] needs 'page' and 'offset'")
        offset = item["offset"]
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ValueError(f"pages[{i}].offset must be a whole number >= 0")
        pages.append(PageStart(str(item["page"]), offset))
    if [p.offset for p in pages] != sorted(p.offset for p in pages):
        raise ValueError("pages must be in order of offset")
    complete = data.get("complete", False)
    if not isinstance(complete, bool):
        raise ValueError("complete must be true or false")
    return Manifest(path=path, source_file=str(data.get("source_file") or ""),
                    source_sha256=str(data.get("source_sha256") or ""),
                    text_sha256=str(data.get("text_sha256") or ""), extractor=str(data.get("extractor") or ""),
                    extracted=str(data.get("extracted") or ""), complete=complete, pages=pages)


def read_manifest(documents_dir: Path, key: str) -> Manifest | None:
    """The manifest of document ``key``, or None when it has none; ValueError naming the file when broken."""
    path = manifest_path(documents_dir, key)
    if not path.is_file():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return manifest_from_dict(path, data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        raise ValueError(f"{path}: {' '.join(str(exc).split())}") from None
