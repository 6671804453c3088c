"""Where a passage occurs (``kb quote``): document, line, page, section, the exact text and its footnotes.

The same matcher as ``kb verify`` (whitespace, line-break hyphens, quotes and dashes,
footnote markers tolerated); when nothing matches, verify's near-miss says where the
passage stops matching. Returns data; the CLI renders.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from kb.errors import BadInput, NothingFound
from kb.store.document import Document, fold_text
from kb.store.loader import KnowledgeBase
from kb.store.manifest import read_manifest
from kb.store.sections import headings

MARKER_GAP = 3
"""A footnote marker this close after the passage's end belongs to it ("care.5", "care.[^5]")."""


@dataclass
class QuoteMatch:
    document: str
    start: int
    end: int
    exact: str
    line: int
    section: str | None
    page: str | None
    footnotes: list[tuple[int, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document, "start": self.start, "end": self.end, "exact": self.exact,
                "line": self.line, "section": self.section, "page": self.page,
                "footnotes": [{"number": n, "text": t} for n, t in self.footnotes]}


def footnotes_at(document: Document, start: int, end: int) -> list[tuple[int, str]]:
    """(number, text) of each footnote whose marker falls in [start, end] or right after it."""
    return [(n, note.text) for n, note in document.footnotes.items()
            if note.marker is not None and start <= note.marker <= end + MARKER_GAP]


def _plain(text: str) -> str:
    return fold_text(text.replace("-", "")).lower()


class _Sections:
    """A document's sections for many lookups: claims' anchors and headings computed once."""

    def __init__(self, kb: KnowledgeBase, document: Document, passage: str) -> None:
        claims = kb.from_document(document.key)
        # only claims whose quote holds the passage, or is held by it, can quote the same place:
        # anchoring every claim would compile a pattern for each
        needle = _plain(passage)
        near = [c for c in claims if any(needle in _plain(f) or _plain(f) in needle for f in c.fragments)]
        self.spans = [(anchor.start, anchor.end, claim.section) for claim in near
                      for anchor in document.anchor_fragments(claim.fragments) if anchor is not None]
        found = headings(document, {c.section for c in claims})
        self.starts = [h.offset for h in found]
        self.titles = [h.title for h in found]

    def at(self, start: int, end: int) -> str | None:
        """The section a claim quoting this place gives, else the heading the place falls under."""
        for s, e, section in self.spans:
            if s < end and start < e:
                return section
        i = bisect.bisect_right(self.starts, start) - 1
        return self.titles[i] if i >= 0 else None


def find_passage(kb: KnowledgeBase, passage: str, doc: str | None = None) -> list[QuoteMatch]:
    """Every place ``passage`` occurs (in document ``doc``, else in all); NothingFound with the nearest miss."""
    if not passage.strip():
        raise BadInput("the passage to find is empty", hint="give the text to look for, e.g. kb quote \"gone missing\"")
    keys = kb.document_keys
    if doc is not None:
        if doc not in keys:
            raise BadInput(f"no document '{doc}' in {kb.documents_dir}",
                           hint=f"use one of: {', '.join(keys)}" if keys else "ingest one with 'kb ingest'")
        keys = [doc]
    matches: list[QuoteMatch] = []
    documents = {key: kb.document(key) for key in keys}
    for key, document in documents.items():
        if document is None:
            continue
        try:
            manifest = read_manifest(kb.documents_dir, key)
        except ValueError as exc:
            raise BadInput(f"cannot read the manifest {exc}", hint="fix or remove the manifest") from None
        anchors = document.find_all(passage)
        sections = _Sections(kb, document, passage) if anchors else None
        for anchor in anchors:
            matches.append(QuoteMatch(
                key, anchor.start, anchor.end, anchor.exact, document.line_of(anchor.start),
                sections.at(anchor.start, anchor.end) if sections else None,
                manifest.pages_of(anchor.start, anchor.end) if manifest else None,
                footnotes_at(document, anchor.start, anchor.end)))
    if not matches:
        from kb.provenance.verify import _near_miss

        misses = [(key, _near_miss(d, passage)) for key, d in documents.items() if d is not None]
        near = next(((k, m) for k, m in misses if not m.startswith("no part")), None)
        where = f"document '{doc}'" if doc else "any document"
        hint = f"in {near[0]}: {near[1]}" if near else "no part of it was found; copy the text verbatim"
        raise NothingFound(f"the passage is not in {where}", hint=hint)
    return matches
