"""kb verify, per document: completeness from the manifest, a changed text, and verifying chosen claims."""

from __future__ import annotations

import json
from pathlib import Path

from kb.provenance.verify import verify_base
from kb.store.manifest import sha256_file

CLAIMS = "claims/testorg2020study.yaml"
TEXT = "sources/documents/testorg2020study.txt"
MANIFEST = "sources/documents/testorg2020study.yaml"
EXCLUSIONS = "sources/documents/testorg2020study.exclusions.yaml"


def drop_last_claim(base: Path) -> None:
    """Remove tst-0007, the only claim citing footnote 4."""
    path = base / CLAIMS
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("- id: tst-0007")], encoding="utf-8")


def severities(base: Path, check: str) -> list[str]:
    return [f.severity for f in verify_base(base).findings if f.check == check]


# --- completeness is a property of a document ------------------------------------------


def test_gaps_are_warnings_without_complete(run, small_kb: Path) -> None:
    drop_last_claim(small_kb)
    (small_kb / EXCLUSIONS).unlink()
    assert set(severities(small_kb, "number-uncovered")) == {"warning"}
    [unused] = [f for f in verify_base(small_kb).findings if f.check == "footnote-unused"]
    assert unused.severity == "warning" and unused.line == 33
    assert unused.message == "footnote 4 (“www.example.org/campaign”) is cited, waived or quoted by no claim"
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 1  # only because the campaign page is now cited by no claim
    assert [f.check for f in verify_base(small_kb).errors] == ["source-unused"]
    assert r.stdout.splitlines()[-1].startswith("FAILED: 1 error(s), 7 warning(s)")
    r = run("--kb", small_kb, "verify", "--uncovered")  # lists them as before
    assert r.exit_code == 1 and r.stdout.splitlines()[-1] == "6 uncovered number(s)"


def test_gaps_are_errors_in_a_complete_document(run, small_kb: Path) -> None:
    (small_kb / MANIFEST).write_text("complete: true\n", encoding="utf-8")
    assert verify_base(small_kb).ok  # complete and accounted for
    drop_last_claim(small_kb)
    (small_kb / EXCLUSIONS).unlink()
    assert set(severities(small_kb, "number-uncovered")) == {"error"}
    assert severities(small_kb, "footnote-unused") == ["error"]
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 1
    assert "footnote-unused (1)" in r.stdout


def test_an_exclusion_or_a_waiver_accounts_for_a_footnote(small_kb: Path) -> None:
    (small_kb / MANIFEST).write_text("complete: true\n", encoding="utf-8")
    drop_last_claim(small_kb)
    with (small_kb / EXCLUSIONS).open("a", encoding="utf-8") as f:
        f.write('- text: "www.example.org/campaign"\n  reason: the campaign page, cited by no fact\n'
                '- text: "calls for action of the campaign"\n  reason: no fact\n')
    assert severities(small_kb, "footnote-unused") == []


def test_bundled_document_is_complete(bundled_kb: Path) -> None:
    (bundled_kb / "sources" / "documents" / "barnardos2012cutting.exclusions.yaml").unlink()
    report = verify_base(bundled_kb)
    assert report.errors and {f.severity for f in report.findings if f.check == "number-uncovered"} == {"error"}


# --- a changed document ------------------------------------------------------------------


def test_changed_document_names_the_claims_that_quote_it(run, small_kb: Path) -> None:
    text = small_kb / TEXT
    (small_kb / MANIFEST).write_text(f"text_sha256: {sha256_file(text)}\n", encoding="utf-8")
    assert verify_base(small_kb).ok
    text.write_bytes(text.read_bytes() + b"\nAn added line.\n")
    r = run("--kb", small_kb, "verify", "--json")
    assert r.exit_code == 1
    [f] = [f for f in json.loads(r.stdout)["findings"] if f["check"] == "document-changed"]
    assert f["severity"] == "error" and f["file"] == TEXT and f["subject"] == "testorg2020study"
    assert f["message"].endswith("7 claim(s) quote it: tst-0001, tst-0002, tst-0003, tst-0004, tst-0005, "
                                 "tst-0006, tst-0007")


def test_unreadable_manifest_is_a_finding(run, small_kb: Path) -> None:
    (small_kb / MANIFEST).write_text("complete: maybe\n", encoding="utf-8")
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 1
    assert "manifest-invalid (1)" in r.stdout and "complete must be true or false" in r.stdout


# --- verifying chosen claims ---------------------------------------------------------------


def break_two_claims(base: Path) -> None:
    path = base / CLAIMS
    text = path.read_text(encoding="utf-8")
    text = text.replace('a quarter of areas had a strategy in place."', 'a third of areas had a strategy in place."')
    path.write_text(text.replace("places: [UK]", "places: [Atlantis]", 1), encoding="utf-8")  # tst-0001


def test_verify_just_one_claim(run, small_kb: Path) -> None:
    break_two_claims(small_kb)
    everything = verify_base(small_kb)
    assert {f.subject for f in everything.errors} >= {"tst-0001", "tst-0002"}
    r = run("--kb", small_kb, "verify", "tst-0003", "--json")
    assert r.exit_code == 0, r
    data = json.loads(r.stdout)
    assert data["findings"] == [] and data["summary"]["checked"]["claims"] == 1
    r = run("--kb", small_kb, "verify", "tst-0002", "--json")
    assert r.exit_code == 1
    assert {(f["check"], f["subject"]) for f in json.loads(r.stdout)["findings"]} == {
        ("quote-not-found", "tst-0002")}


def test_verify_a_claims_file_and_base_wide_checks_still_run(run, small_kb: Path) -> None:
    break_two_claims(small_kb)
    with (small_kb / "sources" / "references.bib").open("a") as bib:
        bib.write("\n@report{nobody2001,\n  author = {Nobody, A.},\n  title = {Unused},\n  year = {2001},\n}\n")
    for target in (CLAIMS, "testorg2020study.yaml", str(small_kb / CLAIMS)):
        checks = {f.check for f in verify_base(small_kb, [target]).errors}
        assert checks == {"vocabulary", "quote-not-found", "source-unused"}, target
    r = run("--kb", small_kb, "verify", "tst-0003")
    assert r.exit_code == 1 and "source-unused (1)" in r.stdout and "tst-0002" not in r.stdout


def test_verify_unknown_target(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "verify", "tst-0099")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: 'tst-0099' is neither a claim id nor a claims file of ")
    assert "did you mean tst-0009" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
