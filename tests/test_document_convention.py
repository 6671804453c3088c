"""The pandoc footnote convention of ingested documents: [^N] markers, [^N]: texts, markers in quotes."""

from __future__ import annotations

from kb.store.document import Document

TEXT = ("# Intro\n\nAbuse rose.[^1] It rose by 16 per cent in 2010-11.[^2]\nMore exploi-\ntation here.\n\n"
        "[^1]: Barnardo’s (2011) Puppet on a string.\nBarkingside.\n\n    Second paragraph of the note.\n\n"
        "[^2]: DCSF (2009).\n\nBody again.[^1]\n")


def test_footnotes_and_markers() -> None:
    doc = Document("d", TEXT)
    notes = doc.footnotes
    assert {n: f.text for n, f in notes.items()} == {
        1: "Barnardo’s (2011) Puppet on a string. Barkingside. Second paragraph of the note.",
        2: "DCSF (2009)."}
    assert TEXT[notes[1].marker - 2:notes[1].marker + 2] == "[^1]"  # the first marker, at its digits
    assert TEXT[notes[2].start:notes[2].start + 3] == "2]:"
    assert doc.footnote_at(TEXT.index("Puppet")) == notes[1]
    assert doc.footnote_at(TEXT.index("Body again")) is None


def test_markers_and_their_numbers_in_numbers() -> None:
    roles = {(m.text, m.role) for m in Document("d", TEXT).numbers}
    assert ("1", "footnote-marker") in roles and ("2", "footnote-number") in roles and ("16", "body") in roles


def test_quotes_across_markers() -> None:
    doc = Document("d", TEXT)
    for quote in ("Abuse rose. It rose", "Abuse rose.1 It rose", "Abuse rose.[^1] It rose"):
        anchor = doc.find(quote)
        assert anchor is not None and anchor.exact == "Abuse rose.[^1] It rose", quote
    assert doc.find("in 2010-11.2").exact == "in 2010-11.[^2]"  # ends after the whole marker
    assert doc.find("More exploitation here").exact == "More exploi-\ntation here"
    assert doc.find("Abuse rose.3 It rose") is None
    assert doc.find("in 2010-11.2 More exploitation") is not None  # a marker's bare number, then on
    assert doc.find("by 61 per cent") is None
