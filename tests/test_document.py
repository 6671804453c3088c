"""Anchoring quotes in a document: what is tolerated, what is not; footnotes; numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.store.document import Document, fold_text

ROOT = Path(__file__).resolve().parent.parent
SMALL_DOC = Path(__file__).resolve().parent / "data" / "small-kb" / "sources" / "documents" / "testorg2020study.txt"
BUNDLED_DOC = ROOT / "sources" / "documents" / "barnardos2012cutting.txt"


def doc(text: str) -> Document:
    return Document(key="t", text=text)


@pytest.fixture(scope="module")
def small() -> Document:
    return Document.read("testorg2020study", SMALL_DOC)


@pytest.fixture(scope="module")
def bundled() -> Document:
    return Document.read("barnardos2012cutting", BUNDLED_DOC)


# --- each tolerance -------------------------------------------------------------


def test_exact_quote_is_found_with_offsets_and_context() -> None:
    d = doc("Before. The quick brown fox. After.")
    anchor = d.find("The quick brown fox.")
    assert anchor is not None
    assert (anchor.start, anchor.end) == (8, 28)
    assert anchor.exact == "The quick brown fox."
    assert anchor.prefix == "Before. " and anchor.suffix == " After."


@pytest.mark.parametrize("text", [
    "we worked with\n1,190 young people",
    "we worked with   1,190 young people",
    "we worked with \n \n1,190 young people",
    "we worked with\t1,190 young people",
    "we worked with\u00a01,190 young people",
])
def test_whitespace_differences_are_tolerated(text: str) -> None:
    anchor = doc(text).find("we worked with 1,190 young people")
    assert anchor is not None and anchor.exact == text


def test_quote_whitespace_is_folded_too() -> None:
    assert doc("a b c").find("a\n   b  c") is not None


@pytest.mark.parametrize("text", ["risk of exploi-\ntation.", "risk of exploi- \n  tation.", "risk of exploi-\r\ntation."])
def test_line_break_hyphenation_is_tolerated(text: str) -> None:
    anchor = doc(text).find("risk of exploitation.")
    assert anchor is not None and anchor.exact == text


def test_hyphen_at_line_break_may_also_be_kept() -> None:
    d = doc("in short-\nstay schools")
    assert d.find("short-stay schools") is not None
    assert d.find("shortstay schools") is not None  # the same line-break ambiguity
    assert d.find("short stay schools") is None


def test_a_dash_after_a_space_at_a_line_end_is_punctuation() -> None:
    d = doc("young people under 18 – \nsadly, this abuse")
    assert d.find("under 18 – sadly") is not None
    assert d.find("under 18 - sadly") is not None
    assert d.find("under 18sadly") is None


def test_glued_en_dash_at_a_line_end_joins_the_next_line() -> None:
    d = doc("fewer than in 2009–\n10 were")
    anchor = d.find("fewer than in 2009–10 were")
    assert anchor is not None and anchor.exact == "fewer than in 2009–\n10 were"
    assert d.find("fewer than in 2009-10 were") is not None
    assert d.find("fewer than in 200910 were") is None


@pytest.mark.parametrize("quote", [
    "Barnardo's said 'why not' - \"now\"",
    "Barnardo\u2019s said \u2018why not\u2019 \u2013 \u201cnow\u201d",
    "Barnardo\u2019s said 'why not' \u2014 \"now\u201d",
])
def test_curly_and_straight_quotes_and_dashes_are_one(quote: str) -> None:
    d = doc("Barnardo\u2019s said \u2018why not\u2019 \u2013 \u201cnow\u201d")
    assert d.find(quote) is not None


# --- nothing else ------------------------------------------------------------------


@pytest.mark.parametrize("quote", [
    "we worked with 1,191 young people",   # a changed digit
    "we worked with 1190 young people",    # a dropped separator
    "We worked with 1,190 young people",   # letter case
    "we work with 1,190 young people",     # a changed word
    "we worked with 1,190 young persons",  # a changed ending
    "we worked with 1,190 people",         # a dropped word
    "we worked with1,190 young people",    # a dropped space
    "we worked with 1,190 young people.",  # added punctuation
    "we worked with 1,190 young people\u2026",  # an ellipsis is not tolerated
])
def test_anything_else_fails(quote: str) -> None:
    assert doc("In 2019-20 we worked with\n1,190 young people affected").find(quote) is None


def test_empty_quote_is_not_found() -> None:
    assert doc("text").find("   ") is None
    assert doc("text").find_all("") == []


def test_find_all_and_find_after() -> None:
    d = doc("one two. one two. one two.")
    assert [a.start for a in d.find_all("one two")] == [0, 9, 18]
    assert d.find("one two", after=1).start == 9
    assert d.find("one two", after=9).start == 9
    assert d.find("one two", after=19) is None


# --- fragments ------------------------------------------------------------------------


def test_fragments_are_anchored_in_order(small: Document) -> None:
    first, second = small.anchor_fragments([
        "In 2010 there were 89 convictions for offences of this kind,",
        "a small rise on 2009, when the total was 55.",
    ])
    assert first is not None and second is not None
    assert first.end <= second.start
    assert small.text[first.end:second.start] == "2 "  # the footnote marker between them


def test_repeated_fragment_is_anchored_after_the_previous_one() -> None:
    d = doc("A said x. B said y. A said x again.")
    first, second, third = d.anchor_fragments(["B said", "A said x", "again"])
    assert first.start == 10 and second.start == 20 and third.start > second.start


def test_out_of_order_fragment_is_still_located() -> None:
    d = doc("first part. second part.")
    first, second = d.anchor_fragments(["second part", "first part"])
    assert first.start == 12 and second.start == 0  # verify reports the order


def test_missing_fragment_is_none() -> None:
    assert doc("only this").anchor_fragments(["only", "that"])[1] is None


def test_quote_across_a_footnote_needs_fragments(small: Document) -> None:
    assert small.find("offences of this kind, a small rise") is None


# --- footnotes ----------------------------------------------------------------------


def test_small_fixture_footnotes(small: Document) -> None:
    notes = small.footnotes
    assert list(notes) == [1, 2, 3, 4]
    assert notes[1].text == ("Jago, S et al (2011) What’s going on to safeguard children and young people from "
                             "sexual exploitation? How local partnerships respond to child sexual exploitation. "
                             "University of Bedfordshire, Bedford.")
    assert notes[2].text.startswith("Ministry of Justice (2011)")
    assert notes[3].text == "England and Wales: Sexual Offences Act 2003."
    assert notes[4].text == "www.example.org/campaign"
    for note in notes.values():
        assert note.marker is not None
        assert small.text[note.marker:note.marker + len(str(note.number))] == str(note.number)
        assert small.text[note.start:].startswith(str(note.number))
    assert small.line_of(notes[2].marker) == 22  # "offences of this kind,2"
    assert small.footnote_at(notes[1].start + 5) == notes[1]
    assert small.footnote_at(0) is None


def test_bundled_document_has_twenty_footnotes_with_markers(bundled: Document) -> None:
    notes = bundled.footnotes
    assert list(notes) == list(range(1, 21))
    for note in notes.values():
        assert note.marker is not None, note.number
        assert bundled.footnote_at(note.marker) is None  # the marker is in the body
    markers = [n.marker for n in notes.values()]
    assert markers == sorted(markers)
    assert notes[3].text == ("Department for Children, Schools and Families (2009) Safeguarding children and "
                             "young people from sexual exploitation. DCSF, London.")
    assert notes[9].text.endswith("Protection of Children and Prevention of Sexual Offences (Scotland) Act 2005.")
    assert notes[18].text == "www.barnardos.org.uk/cutthemfree"
    assert notes[20].text.endswith("Barnardo’s, Barkingside.")
    # markers glued to words, not to numbers such as "2010-11"
    assert bundled.text[notes[11].marker - 7:notes[11].marker + 2] == "notices11"
    assert bundled.text[notes[2].marker - 5:notes[2].marker + 1] == "below2"


# --- numbers ------------------------------------------------------------------------


def test_numbers_and_their_roles(small: Document) -> None:
    mentions = {(m.text, small.line_of(m.start)): m.role for m in small.numbers}
    assert mentions[("1,190", 5)] == "body"
    assert mentions[("2019", 4)] == "body" and mentions[("20", 4)] == "body"
    assert mentions[("1", 11)] == "footnote-number"
    assert mentions[("2011", 11)] == "body"  # a year inside a footnote's text is a number to account for
    assert mentions[("2", 22)] == "footnote-marker"
    assert mentions[("4", 31)] == "footnote-marker"


def test_paragraph_around(small: Document) -> None:
    anchor = small.find("we worked with 1,190 young people")
    start, end = small.paragraph_around(anchor.start, anchor.end)
    assert small.text[start:end].startswith("The Test Organisation has supported")
    assert small.text[start:end].endswith("on 2018-19.")


def test_paragraph_ends_at_a_line_of_spaces() -> None:
    d = doc("one\n  \ntwo three\n \t\nfour")
    anchor = d.find("three")
    assert d.text[slice(*d.paragraph_around(anchor.start, anchor.end))] == "two three"


def test_fold_text() -> None:
    assert fold_text("  \u2018a\u2019 \u2013\n b ") == "'a' - b"
