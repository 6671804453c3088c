"""What each page of the site shows, as plain data: the templates escape and lay it out.

Only :func:`document_html` builds markup itself (a document's text with its quoted
spans, footnote markers and uncovered numbers interleaved); it escapes every
piece of text it emits with ``markupsafe.escape``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from kb.model.schema import Claim
from kb.store.document import Anchor, Document
from kb.store.loader import KnowledgeBase

FACETS = ("kind", "place", "topic", "status")
"""The listings: claims by kind, place, topic and review status."""
FACET_DIRS = {"kind": "kinds", "place": "places", "topic": "topics", "status": "status"}


def slug(value: str) -> str:
    """A file name for a vocabulary value: 'Northern Ireland' -> 'northern-ireland'."""
    text = re.sub(r"[^a-z0-9]+", "-", value.casefold()).strip("-")
    return text or "x"


def facet_values(claim: Claim, facet: str) -> list[str]:
    if facet == "kind":
        return [claim.kind]
    if facet == "place":
        return list(claim.places)
    if facet == "topic":
        return list(claim.topics)
    return [claim.status]


@dataclass
class Facet:
    """One listing family: its values, their claim counts, file names and descriptions."""

    name: str
    counts: dict[str, int]
    slugs: dict[str, str]
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def directory(self) -> str:
        return FACET_DIRS[self.name]

    def href(self, value: str) -> str:
        return f"{self.directory}/{self.slugs[value]}.html"


def facets(kb: KnowledgeBase) -> dict[str, Facet]:
    """Every listing with its values in a stable order (most claims first, then by name)."""
    vocab = {"kind": kb.vocabulary.kinds, "place": kb.vocabulary.places, "topic": kb.vocabulary.topics}
    result = {}
    for name in FACETS:
        counts = Counter(v for claim in kb for v in facet_values(claim, name))
        ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold(), kv[0])))
        slugs: dict[str, str] = {}
        taken: set[str] = set()
        for value in sorted(ordered):
            base = candidate = slug(value)
            n = 2
            while candidate in taken:  # 'UK' and 'U.K.' would share a file
                candidate, n = f"{base}-{n}", n + 1
            taken.add(candidate)
            slugs[value] = candidate
        result[name] = Facet(name, ordered, slugs, {k: str(v) for k, v in vocab.get(name, {}).items()})
    return result


def field_of(item: Any, name: str, default: Any = "") -> Any:
    """A field of a model or a mapping (claim links may be either while the model grows)."""
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def claim_links(kb: KnowledgeBase) -> tuple[dict[str, list[dict[str, str]]], dict[str, list[dict[str, str]]]]:
    """Outgoing and incoming typed links of every claim (empty until claims carry ``links``)."""
    outgoing: dict[str, list[dict[str, str]]] = {}
    incoming: dict[str, list[dict[str, str]]] = {}
    for claim in kb:
        for link in getattr(claim, "links", None) or []:
            entry = {"rel": str(field_of(link, "rel")), "id": str(field_of(link, "id")),
                     "note": str(field_of(link, "note") or "")}
            outgoing.setdefault(claim.id, []).append(entry)
            incoming.setdefault(entry["id"], []).append({**entry, "id": claim.id})
    return outgoing, incoming


def quantity_text(quantity: Any) -> dict[str, str]:
    """A quantity's parts for display; ``qualifier`` ('over', 'about') when the model has it."""
    value = field_of(quantity, "value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    shown = f"{value:,}" if isinstance(value, int) else str(value)
    return {"value": shown, "unit": str(field_of(quantity, "unit")),
            "qualifier": str(field_of(quantity, "qualifier", "") or ""),
            "period": str(field_of(quantity, "period", "") or ""), "place": str(field_of(quantity, "place", "") or "")}


# --- a claim's quote in its paragraph ---------------------------------------------------


@dataclass
class QuoteView:
    paragraphs: list[list[tuple[str, bool]]]
    """Each paragraph as (text, quoted) segments."""
    footnotes: list[tuple[int, str, list[str]]]
    """(number, text, keys cited with it)."""
    problems: list[str]


def quote_view(document: Document | None, claim: Claim, anchors: list[Anchor | None]) -> QuoteView:
    """The quote marked in its paragraph(s) and the footnotes it cites or carries.

    The same view as ``kb show --context`` (its paragraph cutting is reused) without
    formatting references per claim, which the site does once for the whole base.
    """
    from kb.provenance.context import quote_footnotes, quote_paragraphs

    if document is None:
        return QuoteView([], [], [f"the text of document '{claim.document}' is not in the base"])
    found = [a for a in anchors if a is not None]
    problems = ["a quote fragment is not in the document ('kb verify' says where it stops matching)"
                for a in anchors if a is None]
    paragraphs = [p.segments for p in quote_paragraphs(document, found)]
    notes = []
    for number, note, keys in quote_footnotes(document, claim, found):
        if note is None:
            problems.append(f"footnote {number} is not in the document")
            continue
        notes.append((number, note.text, keys))
    return QuoteView(paragraphs, notes, problems)


# --- a document with its claims' spans ----------------------------------------------------


_BLANK = re.compile(r"\n[ \t]*\n")


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def document_html(document: Document, spans: dict[str, list[Anchor]], uncovered: list[tuple[int, int, str]],
                  claim_href: str) -> Markup:
    """The document's text as paragraphs: quoted spans marked and linked to their claims, footnote
    markers linked to their footnotes, uncovered numbers flagged.

    ``spans``: claim id -> its anchors; ``uncovered``: (start, end, text) of numbers no claim or
    exclusion covers; ``claim_href``: a format string with ``{id}`` for a claim's page.
    """
    text = document.text
    # Events at offsets: where each claim's spans begin and end, footnotes, uncovered numbers.
    cuts = {0, len(text)}
    covering: list[tuple[int, int, str]] = []
    first_start: dict[str, int] = {}
    last_end: dict[int, list[str]] = {}
    for claim_id in sorted(spans):
        anchors = spans[claim_id]
        for a in anchors:
            covering.append((a.start, a.end, claim_id))
            cuts.update((a.start, a.end))
        first_start[claim_id] = min(a.start for a in anchors)
        last_end.setdefault(max(a.end for a in anchors), []).append(claim_id)
    starts_at: dict[int, list[str]] = {}
    for claim_id, start in first_start.items():
        starts_at.setdefault(start, []).append(claim_id)
    markers = {note.marker: note.number for note in document.footnotes.values() if note.marker is not None}
    heads = {note.start: note.number for note in document.footnotes.values()}
    numbers = {start: (end, value) for start, end, value in uncovered}
    for at, number in markers.items():
        cuts.update((at, at + len(str(number))))
    for start, (end, _) in numbers.items():
        cuts.update((start, end))
    for m in _BLANK.finditer(text):
        cuts.update((m.start(), m.end()))
    cuts.update(heads)
    paragraph_breaks = {m.start(): m.end() for m in _BLANK.finditer(text)}
    points = sorted(cuts)
    # Which claims cover each piece: a sweep over the sorted spans.
    covering.sort()
    out: list[str] = ['<p>']
    active: list[tuple[int, str]] = []
    k = 0
    skip_until = -1
    for i in range(len(points) - 1):
        start, end = points[i], points[i + 1]
        if start < skip_until:
            continue
        if start in paragraph_breaks:
            out.append("</p>\n<p>")
            skip_until = paragraph_breaks[start]
            continue
        while k < len(covering) and covering[k][0] <= start:
            active.append((covering[k][1], covering[k][2]))
            k += 1
        active = [(e, c) for e, c in active if e > start]
        if start in heads:
            number = heads[start]
            out.append(f'<span class="footnote" id="fn-{number}"></span>')
        for claim_id in starts_at.get(start, []):
            out.append(f'<span id="q-{escape(claim_id)}"></span>')
        piece = _collapse(text[start:end])
        if start in markers:
            number = markers[start]
            html = f'<sup><a href="#fn-{number}" aria-label="footnote {number}">{escape(piece)}</a></sup>'
        elif start in numbers:
            value = numbers[start][1]
            html = (f'<span class="uncovered" title="number {escape(value)} is in no claim and no exclusion">'
                    f'{escape(piece)}</span>')
        else:
            html = str(escape(piece))
        if active and piece.strip() and start in markers:  # no link inside the quote's link
            html = f"<mark>{html}</mark>"
        elif active and piece.strip():
            ids = sorted({c for _, c in active})
            title = ", ".join(ids)
            html = (f'<a class="quoted" href="{escape(claim_href.format(id=ids[0]))}" title="{escape(title)}">'
                    f'<mark>{html}</mark></a>')
        out.append(html)
        for claim_id in last_end.get(end, []):
            out.append(f'<a class="claim-ref" href="{escape(claim_href.format(id=claim_id))}">'
                       f'{escape(claim_id)}</a>')
    out.append("</p>")
    return Markup("".join(out).replace("<p></p>", "").replace("<p> ", "<p>"))
