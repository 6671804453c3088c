"""kb claim add: the next id, cites from footnotes, quantities, checks before writing, comments kept, concurrency."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kb.provenance.claims import add_claim, derived_prefix, next_id
from kb.provenance.verify import verify_base
from kb.store.loader import load_kb

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = "claims/testorg2020study.yaml"
QUOTE = "Research by the University of Bedfordshire found that only a quarter of areas had a strategy in place."
STATEMENT = "Research by the University of Bedfordshire found that only a quarter of areas had a strategy in place."
REPORT = """\
# Summer reading in Northtown libraries

## Summary

The Northtown library service ran its summer reading scheme in all 14 branch
libraries in 2023, as the council's library strategy requires.[^1] Over 2,300
children took part, an increase of 12 per cent on 2022.

## Findings

Most children who joined finished the scheme: 1,610 children read six books or
more.[^2] Library staff reported that the scheme drew in families who had not
used a library before.

[^1]: Northtown Council (2022) Library strategy 2022 to 2027. Northtown Council.

[^2]: A child finishes the scheme by reading six books.
"""
STRATEGY = """
@report{northtown2022strategy,
  author      = {{Northtown Council}},
  title       = {Library strategy 2022 to 2027},
  year        = {2022},
  institution = {Northtown Council},
}
"""


def add(run, base: Path, *args: str):
    return run("--kb", base, "claim", "add", *args)


def base_hash(base: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in base.rglob("*") if p.is_file() and p.name != ".kb.lock"):
        digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def own_base(run, tmp_path: Path) -> Path:
    """A new base with the walk-through's report ingested and the work its footnote 1 cites."""
    base = tmp_path / "own"
    assert run("init", base).exit_code == 0
    report = tmp_path / "report.md"
    report.write_text(REPORT, encoding="utf-8")
    r = run("--kb", base, "ingest", report, "--key", "northtown2024summer", "--title",
            "Summer reading in Northtown libraries", "--author", "Northtown Libraries", "--year", "2024")
    assert r.exit_code == 0, r
    with (base / "sources" / "references.bib").open("a", encoding="utf-8") as bib:
        bib.write(STRATEGY)
    return base


# --- ids ----------------------------------------------------------------------------------


def test_next_id_follows_the_files_prefix(run, small_kb: Path) -> None:
    r = add(run, small_kb, "--doc", "testorg2020study", "--quote", QUOTE, "--statement", STATEMENT,
            "--kind", "finding", "--place", "England", "--period", "2011")
    assert r.exit_code == 0, r
    assert r.stdout == "tst-0008\n"
    claim = load_kb(small_kb).claim("tst-0008")
    assert claim.section == "Introduction" and claim.document == "testorg2020study"


def test_ids_are_never_reused(small_kb: Path) -> None:
    path = small_kb / CLAIMS
    path.write_text(path.read_text() + "# tst-0011 was withdrawn (a duplicate of tst-0002)\n")
    assert next_id(small_kb, "tst") == "tst-0012"


def test_new_document_prefix_from_its_title(run, own_base: Path) -> None:
    kb = load_kb(own_base)
    assert derived_prefix(kb, "northtown2024summer") == "srn"
    for expected in ("srn-0001", "srn-0002"):
        r = add(run, own_base, "--doc", "northtown2024summer", "--quote", "Over 2,300 children took part",
                "--statement", "Over 2,300 children took part.", "--kind", "statistic")
        assert (r.exit_code, r.stdout) == (0, f"{expected}\n"), r


# --- cites, waivers, quantities, section ------------------------------------------------------


def test_cite_proposed_from_a_footnote_in_the_quote(run, small_kb: Path) -> None:
    r = add(run, small_kb, "--doc", "testorg2020study", "--quote", QUOTE, "--statement", STATEMENT,
            "--kind", "finding", "--place", "England", "--period", "2011", "--json")
    assert r.exit_code == 0, r
    record = json.loads(r.stdout)
    assert record["cites"] == [{"key": "jago2011whats", "footnote": 1}]
    assert record["written"] is True and record["file"] == CLAIMS
    assert "Notice: footnote 1 (“Jago, S et al (2011) What’s going on" in r.stderr
    assert verify_base(small_kb).ok


def test_explicit_cite_wins(run, small_kb: Path) -> None:
    r = add(run, small_kb, "--doc", "testorg2020study", "--quote", QUOTE, "--statement", STATEMENT,
            "--kind", "finding", "--place", "England", "--period", "2011", "--cite", "jago2011whats:1:p. 12",
            "--json")
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["cites"] == [{"key": "jago2011whats", "footnote": 1, "locator": "p. 12"}]


def test_unmatched_footnote_is_waived_with_a_notice(run, own_base: Path) -> None:
    quote = "Most children who joined finished the scheme: 1,610 children read six books or more."
    r = add(run, own_base, "--doc", "northtown2024summer", "--quote", quote, "--statement", quote,
            "--kind", "finding", "--json")
    assert r.exit_code == 0, r
    record = json.loads(r.stdout)
    assert record["cites"] == []
    assert [w["footnote"] for w in record["waived"]] == [2]
    assert "names no work of references.bib" in record["waived"][0]["reason"]
    assert "Notice: footnote 2 (“A child finishes the scheme by reading six books.”) names no work" in r.stderr
    assert record["quantities"] == [{"value": 1610, "unit": "children"}, {"value": 6, "unit": "books"}]
    assert record["section"] == "Findings"
    assert {f.check for f in verify_base(own_base).errors} == {"source-unused"}  # the strategy: cited by none yet


def test_explicit_waiver_and_a_cite_proposed_in_the_new_form(run, own_base: Path) -> None:
    statement = ("Northtown library service ran its summer reading scheme in all 14 branch libraries in 2023, "
                 "as the strategy requires.")
    r = add(run, own_base, "--doc", "northtown2024summer", "--quote",
            "ran its summer reading scheme in all 14 branch libraries in 2023, as the council's library strategy "
            "requires.", "--statement", statement, "--kind", "statistic", "--json")
    assert r.exit_code == 0, r
    record = json.loads(r.stdout)
    assert record["cites"] == [{"key": "northtown2022strategy", "footnote": 1}]
    assert record["quantities"] == [{"value": 14, "unit": "branch libraries"}]
    quote2 = "Most children who joined finished the scheme: 1,610 children read six books or more."
    r = add(run, own_base, "--doc", "northtown2024summer", "--quote", quote2, "--statement", quote2,
            "--kind", "finding", "--waive", "2:the footnote defines finishing", "--json")
    assert json.loads(r.stdout)["waived"] == [{"footnote": 2, "reason": "the footnote defines finishing"}]
    assert "Notice: footnote 2" not in r.stderr


def test_qualifier_and_fragments(run, own_base: Path) -> None:
    r = add(run, own_base, "--doc", "northtown2024summer",
            "--quote", "ran its summer reading scheme in all 14 branch libraries in 2023",
            "--quote", "Over 2,300 children took part, an increase of 12 per cent on 2022.",
            "--statement", "Over 2,300 children took part in the scheme in 2023, 12 per cent more than in 2022.",
            "--kind", "statistic", "--json")
    assert r.exit_code == 0, r
    record = json.loads(r.stdout)
    assert record["quote"] == ["ran its summer reading scheme in all 14 branch libraries in 2023",
                               "Over 2,300 children took part, an increase of 12 per cent on 2022."]
    assert record["quantities"] == [{"value": 2300, "unit": "children", "qualifier": "over"},
                                    {"value": 12, "unit": "per cent"}]


# --- dry run, comments ------------------------------------------------------------------------


def test_dry_run_prints_yaml_and_writes_nothing(run, small_kb: Path) -> None:
    before = base_hash(small_kb)
    r = add(run, small_kb, "--doc", "testorg2020study", "--quote", QUOTE, "--statement", STATEMENT,
            "--kind", "finding", "--place", "England", "--period", "2011", "--dry-run")
    assert r.exit_code == 0, r
    [item] = yaml.safe_load(r.stdout)
    assert item["id"] == "tst-0008" and item["cites"] == [{"key": "jago2011whats", "footnote": 1}]
    assert base_hash(small_kb) == before


def test_comments_and_other_claims_kept(run, small_kb: Path) -> None:
    path = small_kb / CLAIMS
    old = path.read_text(encoding="utf-8")
    r = add(run, small_kb, "--doc", "testorg2020study", "--quote", QUOTE, "--statement", STATEMENT,
            "--kind", "finding", "--place", "England", "--period", "2011")
    assert r.exit_code == 0, r
    new = path.read_text(encoding="utf-8")
    assert new.startswith(old.rstrip("\n") + "\n") and "# A claim that rests on a cited work" in new
    assert new[len(old.rstrip("\n")) + 1:].startswith("- id: tst-0008\n")


# --- refusals: one Error line, exit 2, nothing written ------------------------------------------


GOOD = ["--doc", "testorg2020study", "--quote", QUOTE, "--statement", STATEMENT, "--kind", "finding",
        "--place", "England", "--period", "2011"]


def replaced(option: str, value: str) -> list[str]:
    args = list(GOOD)
    args[args.index(option) + 1] = value
    return args


@pytest.mark.parametrize(("args", "message"), [
    (replaced("--doc", "nosuchdoc"), "Error: no document 'nosuchdoc' in "),
    (replaced("--quote", "only a third of areas had a strategy"),
     "Error: the quote “only a third of areas had a strategy” is not in testorg2020study; nothing was written; "
     "matches up to “only a” (line"),
    (replaced("--kind", "opinion"), "Error: the claim is not valid: kind: Input should be 'statistic'"),
    (replaced("--place", "Atlantis"), "Error: kb verify would fail the claim: vocabulary: places 'Atlantis' is not "
                                      "in the vocabulary; nothing was written; valid places: "),
    ([*GOOD, "--topic", "cooking"], "Error: kb verify would fail the claim: vocabulary: topics 'cooking'"),
    ([*GOOD, "--cite", "nobody2001"], "Error: --cite nobody2001: 'nobody2001' is not in references.bib"),
    ([*GOOD, "--cite", "jago2011whats:one"], "Error: --cite jago2011whats:one: the footnote 'one' is not a footnote"),
    ([*GOOD, "--cite", "jago2011whats:9"], "Error: kb verify would fail the claim: footnote-missing: cites "
                                           "footnote 9 for 'jago2011whats'"),
    ([*GOOD, "--waive", "1"], "Error: --waive 1: write FOOTNOTE:REASON"),
    (replaced("--statement", "Research found that 30 areas had a strategy."),
     "Error: kb verify would fail the claim: statement-number: the statement states '30'"),
    ([*replaced("--quote", "children who go missing are at greater risk of exploitation"), "--quote", QUOTE],
     "Error: quote fragment 2 “Research by the University of Bedfordshire found that only …” is in "
     "testorg2020study (line 13) only before fragment 1 (line 16); nothing was written"),
])
def test_bad_input_writes_nothing(run, small_kb: Path, args: list[str], message: str) -> None:
    before = base_hash(small_kb)
    r = add(run, small_kb, *args)
    assert r.exit_code == 2, r
    assert r.stderr.startswith(message), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
    assert base_hash(small_kb) == before


# --- concurrency ---------------------------------------------------------------------------------


def test_concurrent_adds_each_get_an_id(small_kb: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "KB_EDIT_LOCK_TIMEOUT": "60"}
    env.pop("KB_DIR", None)
    code = "import sys; sys.argv[0] = 'kb'; from kb.cli import main; main()"
    procs = [subprocess.Popen([sys.executable, "-c", code, "--kb", str(small_kb), "claim", "add", *GOOD[:-4],
                               "--statement", STATEMENT, "--place", "England", "--period", "2011"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(timeout=300), p.stdout.read().strip(), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _, _ in results), results
    ids = sorted(out for _, out, _ in results)
    assert ids == ["tst-0008", "tst-0009", "tst-0010", "tst-0011"]
    kb = load_kb(small_kb)
    assert all(i in kb.claims for i in ids)
    assert verify_base(small_kb).ok


def test_library_call(small_kb: Path) -> None:
    added = add_claim(small_kb, doc="testorg2020study", quotes=[QUOTE], statement=STATEMENT, kind="finding",
                      places=["England"], period="2011")
    assert added.written and added.record["id"] == "tst-0008"
    assert added.yaml.startswith("- id: tst-0008\n")
