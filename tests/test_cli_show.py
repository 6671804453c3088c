"""kb show ID --context: the claim in its paragraph, its footnotes and cited works."""

from __future__ import annotations

import json
from pathlib import Path

from kb.provenance.context import claim_context, simple_reference
from kb.store.loader import load_kb

CLAIMS = "claims/testorg2020study.yaml"


def test_context_marks_the_quote_in_its_paragraph(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "show", "tst-0002", "--context")
    assert r.exit_code == 0, r
    out = r.stdout
    assert out.startswith("tst-0002  finding  [unreviewed]")  # the claim first
    assert ("In the document (sources/documents/testorg2020study.txt, line 13), section “Introduction”:" in out)
    assert ("  line 13: »Research by the University of Bedfordshire found that only a quarter of areas had a "
            "strategy in place.«1 Across the country, children who go missing are at greater risk of exploi- tation."
            in out)
    assert ("  1. Jago, S et al (2011) What’s going on to safeguard children and young people from sexual "
            "exploitation? How local partnerships respond to child sexual exploitation. University of Bedfordshire, "
            "Bedford.  (cited for jago2011whats; line 11, marker line 15)") in out
    assert "Cited works — (Jago et al., 2011, cited in Test Organisation, 2020):" in out
    assert "  jago2011whats: Jago, S. et al. (2011) What's going on to safeguard" in out
    assert "  testorg2020study: Test Organisation (2020) A study of services" in out
    assert "\x1b[" not in out and "Warning" not in out


def test_context_of_a_quote_in_fragments(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "show", "tst-0004", "--context")
    assert ("  line 21: »In 2010 there were 89 convictions for offences of this kind,«2 "
            "»a small rise on 2009, when the total was 55.«") in r.stdout
    assert "sources/documents/testorg2020study.txt, lines 21, 22" in r.stdout
    assert "  2. Ministry of Justice (2011) Criminal Statistics England and Wales, 2010 (Table S5.7)." in r.stdout


def test_context_lists_a_footnote_marked_at_an_uncited_quote(small_kb: Path) -> None:
    path = small_kb / CLAIMS
    path.write_text(path.read_text().replace("  cites:\n  - {key: sexualoffencesact2003, footnote: 3}\n", "  cites: []\n"))
    kb = load_kb(small_kb)
    context = claim_context(kb, kb.claim("tst-0005"))
    [note] = context.footnotes
    assert note.number == 3 and note.cited_for == [] and note.text == "England and Wales: Sexual Offences Act 2003."


def test_context_json(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "show", "tst-0001", "--context", "--json")
    assert r.exit_code == 0
    record = json.loads(r.stdout)
    context = record["context"]
    assert record["id"] == "tst-0001" and context["section"] == "Foreword" and context["lines"] == [4]
    [paragraph] = context["paragraphs"]
    assert paragraph["line"] == 3
    assert paragraph["marked"] == ("The Test Organisation has supported young people for 12 years. »In 2019-20 we "
                                   "worked with 1,190 young people affected by exploitation«, an increase of 10 per "
                                   "cent on 2018-19.")
    assert [s["quote"] for s in paragraph["segments"]] == [False, True, False]
    assert context["footnotes"] == [] and context["problems"] == []
    assert [ref["key"] for ref in context["references"]] == ["testorg2020study"]


def test_show_without_context_has_no_context(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "show", "tst-0001", "--json")
    assert "context" not in json.loads(r.stdout)
    r = run("--kb", small_kb, "show", "tst-0001")
    assert "In the document" not in r.stdout


def test_context_of_a_quote_not_in_the_document_says_so(run, small_kb: Path) -> None:
    path = small_kb / CLAIMS
    path.write_text(path.read_text().replace('"children who go missing are at greater risk of exploitation"',
                                             '"children who go missing are in danger"'))
    r = run("--kb", small_kb, "show", "tst-0003", "--context")
    assert r.exit_code == 0
    assert "Warning: the quote is not in the document ('kb verify' says where it stops matching)" in r.stdout


def test_context_without_the_document_text(run, small_kb: Path) -> None:
    (small_kb / "sources/documents/testorg2020study.txt").unlink()
    r = run("--kb", small_kb, "show", "tst-0001", "--context")
    assert r.exit_code == 0
    assert "Warning: the text of document 'testorg2020study' is not in sources/documents/" in r.stdout


def test_context_of_an_unknown_claim_exits_2(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "show", "tst-0099", "--context")
    assert r.exit_code == 2 and r.stderr.startswith("Error: no claim with id 'tst-0099'")


def test_context_on_the_bundled_base(run) -> None:
    kb = load_kb()
    claim = next(c for c in kb if any(cite.footnote for cite in c.cites))
    context = claim_context(kb, claim)
    assert context.problems == [] and context.paragraphs
    assert any(q for p in context.paragraphs for _, q in p.segments)
    assert {n.number for n in context.footnotes} >= {c.footnote for c in claim.cites if c.footnote}


def test_simple_reference() -> None:
    kb = load_kb(Path(__file__).resolve().parent / "data" / "small-kb")
    assert simple_reference(kb.sources["jago2011whats"]) == (
        "Jago, S. et al. (2011) What's going on to safeguard children and young people from sexual exploitation? "
        "How local partnerships respond to child sexual exploitation. University of Bedfordshire, Bedford.")
    assert simple_reference(kb.sources["sexualoffencesact2003"]) == "Sexual Offences Act 2003 (2003)"
