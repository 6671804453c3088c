"""kb verify: each check catches its fault on a copy of the small base; a clean base passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.model.numbers import missing_numbers, number_tokens, numbers_in
from kb.model.schema import Organisation, Person, Source
from kb.provenance.verify import (
    CHECKS,
    footnote_names,
    uncovered_numbers,
    verify,
    verify_base,
)
from kb.store.document import Footnote
from kb.store.loader import load_kb

CLAIMS = "claims/testorg2020study.yaml"
BIB = "sources/references.bib"
EXCLUSIONS = "sources/documents/testorg2020study.exclusions.yaml"


def edit(base: Path, name: str, old: str, new: str) -> Path:
    path = base / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def findings(base: Path, check: str) -> list:
    report = verify_base(base)
    return [f for f in report.findings if f.check == check]


# --- a clean base ---------------------------------------------------------------------


def test_clean_fixture_verifies(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 0, r
    assert r.stdout.strip().splitlines()[-1] == (
        "OK: 0 error(s), 0 warning(s) in 7 claims, 5 sources, 1 document(s), 17 numbers")


def test_clean_fixture_json(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "verify", "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["findings"] == []
    assert data["summary"] == {"ok": True, "fatal": False, "errors": 0, "warnings": 0, "by_check": {},
                               "checked": {"claims": 7, "sources": 5, "documents": 1, "numbers": 17}}


# --- each check catches its fault -------------------------------------------------------


def test_tampered_quote(run, small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "are at greater risk of exploitation\"", "are at great risk of exploitation\"")
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 1
    [line] = [x for x in r.stdout.splitlines() if "tst-0003" in x]
    assert line.startswith(f"  {CLAIMS}:30  tst-0003  quote “children who go missing are at great risk")
    assert "matches up to “children who go missing are at”" in line
    assert "the quote has “great risk of exploitation”" in line
    assert "quote-not-found (1)" in r.stdout
    assert r.stdout.splitlines()[-1].startswith("FAILED: 1 error(s)")


def test_changed_letter_case_is_a_tampered_quote(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, '"children who go missing', '"Children who go missing')
    [f] = findings(small_kb, "quote-not-found")
    assert f.subject == "tst-0003"


def test_missing_fragment_is_named(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, '"a small rise on 2009, when the total was 55."', '"a small rise on 2009, when it was 55."')
    [f] = findings(small_kb, "quote-not-found")
    assert f.subject == "tst-0004" and f.message.startswith("quote fragment 2 of 2")


def test_fragments_out_of_order(small_kb: Path) -> None:
    path = small_kb / CLAIMS
    text = path.read_text()
    first = '  - "In 2010 there were 89 convictions for offences of this kind,"\n'
    second = '  - "a small rise on 2009, when the total was 55."\n'
    path.write_text(text.replace(first + second, second + first))
    [f] = findings(small_kb, "quote-order")
    assert f.subject == "tst-0004" and "fragment 2 of 2 is at line 21, before fragment 1 (line 22)" in f.message


def test_unknown_key(run, small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "{key: jago2011whats, footnote: 1}", "{key: jago2011what, footnote: 1}")
    r = run("--kb", small_kb, "verify", "--json")
    assert r.exit_code == 1
    f, unused = json.loads(r.stdout)["findings"]
    assert unused["check"] == "source-unused" and unused["subject"] == "jago2011whats"
    assert f["check"] == "unknown-source" and f["subject"] == "tst-0002"
    assert f["file"] == CLAIMS and f["line"] == 18 and f["severity"] == "error"


def test_wrong_footnote_names_the_other_work(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "{key: jago2011whats, footnote: 1}", "{key: jago2011whats, footnote: 2}")
    [f] = findings(small_kb, "footnote-mismatch")
    assert f.subject == "tst-0002"
    assert "footnote 2 (“Ministry of Justice (2011)" in f.message and "it names 'moj2011criminal'" in f.message


def test_footnote_naming_no_work(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "{key: testorg2020campaign, footnote: 4}", "{key: testorg2020campaign, footnote: 1}")
    [f] = findings(small_kb, "footnote-mismatch")
    assert f.subject == "tst-0007" and "does not name 'testorg2020campaign'" in f.message


def test_footnote_not_in_document(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "{key: sexualoffencesact2003, footnote: 3}", "{key: sexualoffencesact2003, footnote: 9}")
    [f] = findings(small_kb, "footnote-missing")
    assert f.subject == "tst-0005" and "has 4 footnote(s)" in f.message


def test_number_not_in_quote(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "worked with 1,190 young people affected by exploitation in 2019-20.",
         "worked with 1,191 young people affected by exploitation in 2019-20.")
    [f] = findings(small_kb, "statement-number")
    assert f.subject == "tst-0001" and "'1,191'" in f.message


def test_year_not_in_quote(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "defined as an offence in the Sexual Offences Act 2003.",
         "defined as an offence in the Sexual Offences Act 2003 since 2004.")
    [f] = findings(small_kb, "statement-number")
    assert f.subject == "tst-0005" and "'2004'" in f.message


def test_stale_review_fails_and_disputed_is_a_warning(run, small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "Sexual exploitation is defined as an offence", "Sexual exploitation is an offence")
    [f] = findings(small_kb, "review-stale")
    assert f.subject == "tst-0005" and "saw fingerprint 1b669acd6defc90b" in f.message
    assert "kb review tst-0005" in f.hint


def test_disputed_review_is_listed_but_passes(run, small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "    status: verified\n", "    status: disputed\n")
    edit(small_kb, CLAIMS, "note: checked against the text", "note: the Act does not say so")
    r = run("--kb", small_kb, "verify", "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    [f] = data["findings"]
    assert f["check"] == "review-disputed" and f["severity"] == "warning"
    assert "the Act does not say so" in f["message"]
    assert data["summary"]["warnings"] == 1 and data["summary"]["errors"] == 0


def test_source_missing_a_required_field(small_kb: Path) -> None:
    edit(small_kb, BIB, "  year      = {2011},\n  publisher = {Ministry of Justice},\n", "")
    [f] = findings(small_kb, "source-fields")
    assert f.subject == "moj2011criminal" and f.message == "a dataset entry needs year"
    assert f.file == small_kb / BIB and f.line == 21


def test_online_source_needs_a_url(small_kb: Path) -> None:
    edit(small_kb, BIB, "  url    = {https://example.org/campaign},\n", "")
    [f] = findings(small_kb, "source-fields")
    assert f.subject == "testorg2020campaign" and f.message == "an online entry needs url"


def test_uncited_source(small_kb: Path) -> None:
    with (small_kb / BIB).open("a") as bib:
        bib.write("\n@report{nobody2001,\n  author = {Nobody, A.},\n  title = {Unused},\n  year = {2001},\n}\n")
    [f] = findings(small_kb, "source-unused")
    assert f.subject == "nobody2001" and f.line == 42


def test_uncovered_number(run, small_kb: Path) -> None:
    edit(small_kb, EXCLUSIONS, '- text: "supported young people for 12 years"\n'
         "  reason: background about the organisation, not a finding of the study\n", "")
    [f] = findings(small_kb, "number-uncovered")
    assert f.subject == "testorg2020study" and f.line == 4
    assert f.message == "12 is in no claim's quote and no exclusion: supported young people for »12« years. In 2019-20 we"
    r = run("--kb", small_kb, "verify", "--uncovered")
    assert r.exit_code == 1
    assert r.stdout.splitlines()[0] == (
        "sources/documents/testorg2020study.txt:4  12  supported young people for »12« years. In 2019-20 we")
    assert r.stdout.splitlines()[-1] == "1 uncovered number(s)"


def test_uncovered_numbers_when_a_claim_goes(small_kb: Path) -> None:
    path = small_kb / CLAIMS
    text = path.read_text()
    start = text.index("- id: tst-0004")
    path.write_text(text[:start] + text[text.index("- id: tst-0005"):])
    numbers = uncovered_numbers(load_kb(small_kb))
    assert [(n.line, n.text) for n in numbers] == [(21, "2010"), (21, "89"), (23, "2009"), (23, "55")]


def test_every_number_is_checked_and_markers_are_not(small_kb: Path) -> None:
    (small_kb / EXCLUSIONS).unlink()
    numbers = uncovered_numbers(load_kb(small_kb))
    texts = [n.text for n in numbers]
    assert texts == ["12", "2011", "2011", "2010", "5.7", "2003"]  # footnote numbers and markers excluded


def test_exclusion_not_in_document(small_kb: Path) -> None:
    with (small_kb / EXCLUSIONS).open("a") as f:
        f.write('- text: "for 13 years"\n  reason: made up\n')
    [f] = findings(small_kb, "exclusion-not-found")
    assert f.file == small_kb / EXCLUSIONS and f.line == 13 and "“for 13 years”" in f.message


def test_exclusion_without_reason(small_kb: Path) -> None:
    with (small_kb / EXCLUSIONS).open("a") as f:
        f.write('- text: "the total was 55"\n')
    [f] = findings(small_kb, "exclusion-invalid")
    assert f.line == 13 and f.message == "exclusion #5 has no reason"


def test_exclusions_may_be_a_plain_list(small_kb: Path) -> None:
    path = small_kb / EXCLUSIONS
    text = path.read_text()
    body = text[text.index("- text:"):]
    path.write_text(body)
    assert verify_base(small_kb).ok


def test_vocabulary_problem_from_the_loader(small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "  places: [England]\n", "  places: [Englund]\n")
    [f] = findings(small_kb, "vocabulary")
    assert f.subject == "tst-0002" and "Englund" in f.message


def test_document_text_missing(small_kb: Path) -> None:
    (small_kb / "sources/documents/testorg2020study.txt").unlink()
    report = verify_base(small_kb)
    [f] = [f for f in report.findings if f.check == "document-missing"]
    assert f.subject == "testorg2020study" and "7 claim(s)" in f.message
    assert not report.ok


# --- a base that cannot be read -----------------------------------------------------------


def test_malformed_yaml_exits_2_naming_the_file(run, small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "  kind: indicator\n", "  kind: [indicator\n")
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: invalid YAML")
    assert f"{CLAIMS}:" in r.stderr and "Traceback" not in r.stderr + r.stdout


def test_duplicate_id_exits_2(run, small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "- id: tst-0003", "- id: tst-0002")
    r = run("--kb", small_kb, "verify", "--json")
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    assert data["summary"]["fatal"] is True and data["findings"][0]["check"] == "duplicate-id"
    lines = [i for i, line in enumerate((small_kb / CLAIMS).read_text().splitlines(), 1) if line == "- id: tst-0002"]
    name = Path(CLAIMS).name
    assert f"claim id 'tst-0002' is used twice: {name}:{lines[0]} and {name}:{lines[1]}" in r.stderr
    assert data["findings"][0]["line"] == lines[1]


def test_malformed_exclusions_exit_2(run, small_kb: Path) -> None:
    (small_kb / EXCLUSIONS).write_text("exclusions: [\n")
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 2 and "testorg2020study.exclusions.yaml" in r.stderr


def test_missing_base_exits_2(run, tmp_path: Path) -> None:
    r = run("--kb", tmp_path / "nowhere", "verify")
    assert r.exit_code == 2 and r.stderr.startswith("Error: knowledge base directory")


# --- the report -------------------------------------------------------------------------


def test_report_groups_findings_and_counts_them(run, small_kb: Path) -> None:
    edit(small_kb, CLAIMS, "are at greater risk of exploitation\"", "are at great risk of exploitation\"")
    edit(small_kb, CLAIMS, "{key: jago2011whats, footnote: 1}", "{key: jago2011whats, footnote: 2}")
    r = run("--kb", small_kb, "verify", "--json")
    data = json.loads(r.stdout)
    # footnote 1 is now in the quote but uncited
    assert data["summary"]["by_check"] == {"footnote-mismatch": 1, "footnote-uncited": 1, "quote-not-found": 1}
    for finding in data["findings"]:
        assert set(finding) == {"check", "severity", "file", "line", "subject", "message", "hint"}
        assert finding["hint"]
    r = run("--kb", small_kb, "verify")
    headers = [line for line in r.stdout.splitlines() if not line.startswith("  ")]
    assert headers[0].startswith("quote-not-found (1): ") and headers[1].startswith("footnote-mismatch (1): ")
    assert headers[2].startswith("footnote-uncited (1): ")
    assert headers[-1].startswith("FAILED: 3 error(s), 0 warning(s)")


def test_every_check_is_described() -> None:
    assert all(CHECKS.values())


def test_bundled_base_can_be_verified() -> None:
    report = verify(load_kb(strict=False))
    assert not report.fatal
    assert report.checked["documents"] >= 1 and report.checked["claims"] > 100


# --- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("statement, quote", [
    ("10 per cent", "10%"),
    ("10%", "ten per cent"),
    ("1,190 young people", "1190 young people"),
    ("seven young people", "7 young people"),
    ("twenty areas", "20 areas"),
    ("in 2010-11", "in 2010–11"),
    ("in 2010/11", "in 2010-2011"),
    ("0.5 per cent", "0.50%"),
    ("one in seven", "1 in 7"),
])
def test_numbers_that_are_the_same(statement: str, quote: str) -> None:
    assert missing_numbers(statement, quote) == []


@pytest.mark.parametrize("statement, quote, missing", [
    ("in 2011", "in 2010-11", "2011"),
    ("1,191", "1,190", "1,191"),
    ("21 services", "twenty-one services", "21"),
    ("eleven", "one", "eleven"),
    ("2009-10", "2010-11", "2009-10"),
])
def test_numbers_that_differ(statement: str, quote: str, missing: str) -> None:
    assert [t.text for t in missing_numbers(statement, quote)] == [missing]


def test_number_tokens() -> None:
    assert [(t.value, t.text) for t in number_tokens("No one said 3,000; 1,2 or Table S5.7 in 2008-2012.")] == [
        ("3000", "3,000"), ("1", "1"), ("2", "2"), ("5.7", "5.7"), ("2008-12", "2008-2012")]
    assert numbers_in("under-18s, 21st") == {"18", "21"}


# --- footnotes name their works -----------------------------------------------------------


def note(text: str) -> Footnote:
    return Footnote(1, text, 0, len(text), None)


DCSF = Source(key="dcsf2009safeguarding", type="report", year=2009, title="Safeguarding children",
              authors=[Organisation(name="Department for Children, Schools and Families")])
MOJ = Source(key="moj2011criminal", type="dataset", year=2011, title="Criminal Statistics",
             authors=[Organisation(name="Ministry of Justice")])
JAGO = Source(key="jago2011whats", type="report", year=2011, title="What's going on", authors=[Person(family="Jago")])
SOURCES = {s.key: s for s in (DCSF, MOJ, JAGO)}


@pytest.mark.parametrize("text, source, named", [
    ("DCSF (2009) Guidance. London.", DCSF, True),            # acronym and year
    ("DCSF (2010) Guidance. London.", DCSF, False),           # acronym, another year
    ("MoJ (2011) Tables.", MOJ, True),                        # initials with the small word
    ("Ministry of Justice (2011) Tables.", MOJ, True),
    ("Jago, S et al (2011) Something else.", JAGO, True),     # family name and year
    ("Smith (2011) What’s going on: a study.", JAGO, True),   # the title's first words
    ("Smith (2011) Going on.", JAGO, False),
    ("Jago (2011) Criminal Statistics, table 3.", JAGO, False),  # names another work by its title
])
def test_footnote_names_the_work(text: str, source: Source, named: bool) -> None:
    assert footnote_names(note(text), source, SOURCES)[0] is named
