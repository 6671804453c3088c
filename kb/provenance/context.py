"""A claim in its place in the document (``kb show ID --context``): for a reviewer.

The paragraph(s) around the quote with the quote's spans marked, the section,
the text of each footnote the claim cites (and of any footnote whose marker sits
at the quote), and the cited works as references. Returns data; the CLI renders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from kb.errors import KbError
from kb.model.schema import Claim, Source
from kb.store.document import Anchor, Document
from kb.store.loader import KnowledgeBase

log = logging.getLogger(__name__)

MAX_PARAGRAPH = 1500
"""A longer paragraph is cut to about this many characters around the quote."""
_MARKER_GAP = 3
"""A footnote marker this close after the quote's end belongs to it ("care.5")."""


@dataclass
class Paragraph:
    """A paragraph of the document, as segments of plain and quoted (highlighted) text."""

    line: int
    """1-based line of the paragraph's first character."""
    segments: list[tuple[str, bool]]
    """(text, is part of the quote), whitespace collapsed to single spaces."""

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.segments)

    def marked(self, left: str = "»", right: str = "«") -> str:
        """The paragraph with the quote's spans between ``left`` and ``right``."""
        return "".join(f"{left}{text}{right}" if quoted else text for text, quoted in self.segments)

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "marked": self.marked(),
                "segments": [{"text": t, "quote": q} for t, q in self.segments]}


@dataclass
class FootnoteContext:
    number: int
    text: str
    line: int | None
    """Line of the footnote's text in the document."""
    marker_line: int | None
    cited_for: list[str]
    """Keys the claim cites with this footnote (empty: the marker is at the quote, uncited)."""

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "text": self.text, "line": self.line, "marker_line": self.marker_line,
                "cited_for": self.cited_for}


@dataclass
class Context:
    """Everything a reviewer needs to walk a claim back to its document and cited works."""

    claim: Claim
    document: str
    document_file: str | None
    section: str
    lines: list[int | None]
    """Line of each quote fragment in the document (None where it is not found)."""
    paragraphs: list[Paragraph] = field(default_factory=list)
    footnotes: list[FootnoteContext] = field(default_factory=list)
    citation: str = ""
    """The in-text citation ("(Jago et al., 2011, cited in Barnardo's, 2012)") when citeproc formats it."""
    references: list[tuple[str, str]] = field(default_factory=list)
    """(key, formatted reference) for each cited work, then the document."""
    problems: list[str] = field(default_factory=list)
    """What could not be shown (missing document, fragment not found, unknown footnote)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "document_file": self.document_file,
            "section": self.section,
            "lines": self.lines,
            "paragraphs": [p.to_dict() for p in self.paragraphs],
            "footnotes": [f.to_dict() for f in self.footnotes],
            "citation": self.citation,
            "references": [{"key": k, "text": t} for k, t in self.references],
            "problems": self.problems,
        }


def _segments(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Split text[start:end] at the spans, collapsing each whitespace run to one space."""
    cuts: list[tuple[int, int, bool]] = []
    pos = start
    for s, e in sorted(spans):
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        if s > pos:
            cuts.append((pos, s, False))
        cuts.append((max(s, pos), e, True))
        pos = max(pos, e)
    if pos < end:
        cuts.append((pos, end, False))
    segments: list[tuple[str, bool]] = []
    space_before = False
    for s, e, quoted in cuts:
        piece = text[s:e]
        words = piece.split()
        if not words:
            space_before = space_before or bool(piece)
            continue
        shown = " ".join(words)
        if (space_before or piece[0].isspace()) and segments:
            if segments[-1][1] and not quoted:  # the space stays outside the quote
                shown = " " + shown
            else:
                segments[-1] = (segments[-1][0] + " ", segments[-1][1])
        segments.append((shown, quoted))
        space_before = piece[-1].isspace()
    return segments


def _paragraphs(document: Document, anchors: list[Anchor]) -> list[Paragraph]:
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for anchor in anchors:
        groups.setdefault(document.paragraph_around(anchor.start, anchor.end), []).append((anchor.start, anchor.end))
    paragraphs = []
    for (start, end), spans in sorted(groups.items()):
        first, last = min(s for s, _ in spans), max(e for _, e in spans)
        for note in document.footnotes.values():  # a footnote run into the paragraph is shown apart
            if start <= note.start and note.end <= first:
                start = note.end
            elif last <= note.start < end:
                end = note.start
        cut_start = cut_end = False
        if end - start > MAX_PARAGRAPH and last - first < MAX_PARAGRAPH:
            room = (MAX_PARAGRAPH - (last - first)) // 2
            cut_start, cut_end = first - room > start, last + room < end
            start, end = max(start, first - room), min(end, last + room)
        while start < first and document.text[start].isspace():
            start += 1
        segments = _segments(document.text, start, end, spans)
        if cut_start and segments:
            segments.insert(0, ("… ", False))
        if cut_end and segments:
            segments.append((" …", False))
        paragraphs.append(Paragraph(document.line_of(start), segments))
    return paragraphs


def simple_reference(source: Source) -> str:
    """Author (year) Title. Genre. Publisher, Place. URL — without a citation style."""
    authors = source.author_names()
    head = ", ".join(authors[:-1]) + " and " + authors[-1] if len(authors) > 1 else "".join(authors)
    if authors and authors[-1] == "et al.":
        head = ", ".join(authors[:-1]) + " et al."
    parts = [f"{head or source.title} ({source.year or 'n.d.'})"]
    if head:
        parts.append(source.title.rstrip(".") + ".")
    if source.genre:
        parts.append(source.genre.rstrip(".") + ".")
    where = ", ".join(x for x in (source.publisher, source.place) if x)
    if where:
        parts.append(where + ".")
    if source.url:
        parts.append(source.url)
    return " ".join(parts)


def _formatted(kb: KnowledgeBase, claim: Claim, keys: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """The in-text citation and references, by kb.citations (citeproc) when it can, else simply."""
    try:
        from kb.cite.citations import render

        rendered = render(kb, [claim], markup="plain")
        by_key = dict(zip(rendered.reference_keys, rendered.references))
        if all(k in by_key for k in keys):
            return rendered.claims[0].citation, [(k, by_key[k]) for k in keys]
    except (ImportError, KbError, AttributeError, TypeError, IndexError) as exc:
        log.debug("citation formatting unavailable (%s); using simple references", exc)
    return "", [(k, simple_reference(kb.sources[k])) for k in keys]


def quote_paragraphs(document: Document, anchors: list[Anchor]) -> list[Paragraph]:
    """The paragraph(s) holding the anchored quote, with the quote's spans marked."""
    return _paragraphs(document, anchors)


def quote_footnotes(document: Document, claim: Claim, anchors: list[Anchor]) -> list[tuple[int, Any, list[str]]]:
    """(number, footnote or None when missing, keys cited with it) for every footnote the claim
    cites or whose marker stands in (or right after) the quote, in number order."""
    cited: dict[int, list[str]] = {}
    for cite in claim.cites:
        if cite.footnote is not None:
            cited.setdefault(cite.footnote, []).append(cite.key)
    at_quote = {n for n, note in document.footnotes.items() if note.marker is not None
                and any(a.start <= note.marker <= a.end + _MARKER_GAP for a in anchors)}
    return [(number, document.footnotes.get(number), cited.get(number, []))
            for number in sorted(set(cited) | at_quote)]


def claim_context(kb: KnowledgeBase, claim: Claim) -> Context:
    """The claim's quote in its paragraph, its section, footnotes and cited works."""
    document = kb.document(claim.document)
    path = None
    if document is not None and document.path is not None:
        try:
            path = str(document.path.relative_to(kb.root))
        except ValueError:
            path = str(document.path)
    context = Context(claim=claim, document=claim.document, document_file=path, section=claim.section,
                      lines=[None] * len(claim.fragments))
    keys = [k for k in dict.fromkeys([*claim.cited_keys, claim.document]) if k in kb.sources]
    context.citation, context.references = _formatted(kb, claim, keys)
    if document is None:
        context.problems.append(f"the text of document '{claim.document}' is not in sources/documents/")
        return context
    anchors = document.anchor_fragments(claim.fragments)
    found = [a for a in anchors if a is not None]
    context.lines = [document.line_of(a.start) if a else None for a in anchors]
    for i, anchor in enumerate(anchors, start=1):
        if anchor is None:
            label = f"quote fragment {i}" if len(anchors) > 1 else "the quote"
            context.problems.append(f"{label} is not in the document ('kb verify' says where it stops matching)")
    context.paragraphs = _paragraphs(document, found)
    for number, note, keys in quote_footnotes(document, claim, found):
        if note is None:
            context.problems.append(f"footnote {number} is not in the document")
            continue
        context.footnotes.append(FootnoteContext(
            number, note.text, document.line_of(note.start),
            document.line_of(note.marker) if note.marker is not None else None, keys))
    return context
