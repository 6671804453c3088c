"""Sections of a document: Markdown headings, titles the claims give, short standalone lines."""

from __future__ import annotations

from kb.store.document import Document
from kb.store.sections import headings, section_at


def test_atx_headings_win() -> None:
    doc = Document("d", "# One\n\nText one.\n\n## Two ##\n\nText two.\n\nShort line\n\nMore.\n")
    assert [(h.title, h.level) for h in headings(doc)] == [("One", 1), ("Two", 2)]
    assert section_at(doc, doc.text.index("Text two")) == "Two"
    assert section_at(doc, doc.text.index("More.")) == "Two"  # no ATX-less guessing beside real headings


def test_known_titles_and_standalone_lines() -> None:
    text = ("Checklist for English \nlocal authorities\n\nq What system is in place?\n\n"
            "Improve support\n\nWe ask for more.\n1 A footnote line, London\n\nIt ends here.\n")
    doc = Document("d", text)
    found = [h.title for h in headings(doc, {"Checklist for English local authorities"})]
    assert found == ["Checklist for English local authorities", "Improve support"]
    assert section_at(doc, text.index("We ask"), {"Checklist for English local authorities"}) == "Improve support"
    assert section_at(doc, 0) == "Checklist for English local authorities"  # two short lines alone
    assert section_at(Document("d", "Plain text without headings."), 3) is None
