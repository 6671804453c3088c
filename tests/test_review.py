"""kb review: the verdict is recorded in the claim's file, and nothing else in the file changes."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from kb.provenance import review as review_module
from kb.provenance.review import default_reviewer, edit_review, record_review
from kb.store.loader import load_claim_file, load_kb

CLAIMS = "claims/testorg2020study.yaml"
TODAY = date.today().isoformat()


def outside(text: str, first_line: str, next_line: str | None) -> tuple[str, str]:
    """The text before the claim's first line and from the line that follows the claim."""
    start = text.index(first_line)
    end = text.index(next_line, start) if next_line else len(text)
    return text[:start], text[end:]


def test_review_records_the_verdict(run, small_kb: Path) -> None:
    fingerprint = load_kb(small_kb).claim("tst-0002").fingerprint
    r = run("--kb", small_kb, "review", "tst-0002", "--status", "verified", "--by", "A. Tester",
            "--note", "checked: footnote 1 is Jago")
    assert r.exit_code == 0, r
    assert r.stdout.strip() == (f"tst-0002  verified by A. Tester on {TODAY} (fingerprint {fingerprint}) "
                                f"recorded in {CLAIMS}")
    claim = load_kb(small_kb).claim("tst-0002")
    assert claim.status == "verified"
    assert claim.review.by == "A. Tester" and claim.review.on == date.today()
    assert claim.review.fingerprint == fingerprint and claim.review.note == "checked: footnote 1 is Jago"
    text = (small_kb / CLAIMS).read_text()
    assert (f"  review:\n    status: verified\n    by: A. Tester\n    on: {TODAY}\n"
            f"    fingerprint: \"{fingerprint}\"\n    note: 'checked: footnote 1 is Jago'\n\n"
            "- id: tst-0003") in text


@pytest.mark.parametrize("claim_id, next_line", [
    ("tst-0001", "# A claim that rests on a cited work"),
    ("tst-0003", "# The quote is split by a footnote marker"),
    ("tst-0005", "- id: tst-0006"),
    ("tst-0007", None),
])
def test_review_keeps_everything_outside_the_claim_byte_for_byte(run, small_kb: Path, claim_id: str,
                                                                  next_line: str | None) -> None:
    path = small_kb / CLAIMS
    before = path.read_text()
    r = run("--kb", small_kb, "review", claim_id, "--status", "disputed", "--by", "R", "--note", "why # not")
    assert r.exit_code == 0, r
    after = path.read_text()
    head, tail = outside(before, f"- id: {claim_id}\n", next_line)
    assert after.startswith(head) and after.endswith(tail)
    old_claim = before[len(head):len(before) - len(tail)]
    new_claim = after[len(head):len(after) - len(tail)]
    # the claim's own lines are kept too; only its review is added or replaced
    kept = [line for line in old_claim.splitlines() if not line.startswith("    ") or "status" not in line]
    assert new_claim.count("  review:\n") == 1
    for line in old_claim.split("  review:\n")[0].splitlines():
        assert line in new_claim.splitlines(), line
    assert kept
    assert load_kb(small_kb).claim(claim_id).status == "disputed"


def test_a_second_review_replaces_the_first_in_place(run, small_kb: Path) -> None:
    path = small_kb / CLAIMS
    before = path.read_text()
    r = run("--kb", small_kb, "review", "tst-0005", "--status", "needs-work", "--by", "B")
    assert r.exit_code == 0, r
    after = path.read_text()
    assert before.replace("    status: verified\n    by: A. Reviewer\n    on: 2026-11-01\n",
                          f"    status: needs-work\n    by: B\n    on: {TODAY}\n"
                          ).replace("    note: checked against the text\n", "") == after
    claim = load_kb(small_kb).claim("tst-0005")
    assert claim.status == "needs-work" and claim.review.note == ""


def test_editing_a_reviewed_claim_makes_its_review_stale(run, small_kb: Path) -> None:
    run("--kb", small_kb, "review", "tst-0003", "--status", "verified", "--by", "C")
    path = small_kb / CLAIMS
    path.write_text(path.read_text().replace("Children who go missing are at greater risk",
                                             "Children who go missing are at much greater risk"))
    assert load_kb(small_kb).claim("tst-0003").status == "stale"
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 1 and "review-stale (1)" in r.stdout
    run("--kb", small_kb, "review", "tst-0003", "--status", "verified", "--by", "C")
    assert load_kb(small_kb).claim("tst-0003").status == "verified"


def test_fingerprint_of_digits_stays_a_string(tmp_path: Path) -> None:
    text = "document: d\nclaims:\n- id: x-0001\n  statement: S.\n  kind: finding\n  quote: q\n  section: s\n"
    edited = edit_review(text, "x-0001", {"status": "verified", "by": "null", "on": date(2026, 1, 2),
                                          "fingerprint": "0123456789012345", "note": "yes: 'quoted' “curly”"})
    path = tmp_path / "d.yaml"
    path.write_text(edited)
    [claim], _, problems = load_claim_file(path)
    assert problems == []
    assert claim.review.fingerprint == "0123456789012345"
    assert claim.review.by == "null" and claim.review.on == date(2026, 1, 2)
    assert claim.review.note == "yes: 'quoted' “curly”"
    assert edited.startswith(text)


def test_indented_list_style_is_kept(tmp_path: Path) -> None:
    text = ("document: d\nclaims:\n  # first\n  - id: x-0001\n    statement: S.\n    kind: finding\n"
            "    topics:\n      - a\n      - b\n    quote: q\n    section: s\n  # second\n"
            "  - id: x-0002\n    statement: T.\n    kind: finding\n    quote: r\n    section: s\n")
    edited = edit_review(text, "x-0001", {"status": "verified", "by": "R", "on": date(2026, 1, 2),
                                          "fingerprint": "abc", "note": ""})
    assert edited == text.replace("    section: s\n  # second", "    section: s\n    review:\n"
                                  "      status: verified\n      by: R\n      on: 2026-01-02\n"
                                  "      fingerprint: \"abc\"\n  # second")


def test_default_reviewer_falls_back_to_user(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_git(*args, **kwargs):
        raise OSError("no git")

    monkeypatch.setattr(review_module.subprocess, "run", no_git)
    monkeypatch.setenv("USER", "someone")
    assert default_reviewer() == "someone"


def test_review_without_by_uses_the_default_reviewer(run, small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review_module, "default_reviewer", lambda cwd=None: "Git User")
    r = run("--kb", small_kb, "review", "tst-0001", "--status", "verified")
    assert r.exit_code == 0, r
    assert load_kb(small_kb).claim("tst-0001").review.by == "Git User"


# --- bad input changes nothing --------------------------------------------------------------


def test_unknown_id_exits_2(run, small_kb: Path) -> None:
    before = (small_kb / CLAIMS).read_text()
    r = run("--kb", small_kb, "review", "tst-0009", "--status", "verified")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: no claim with id 'tst-0009'") and "did you mean" in r.stderr
    assert (small_kb / CLAIMS).read_text() == before


def test_unknown_status_exits_2(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "review", "tst-0001", "--status", "fine")
    assert r.exit_code == 2
    assert r.stderr.strip() == "Error: unknown review status 'fine'; use one of verified, disputed, needs-work"


def test_read_only_file_gives_a_clear_error(run, small_kb: Path) -> None:
    path = small_kb / CLAIMS
    before = path.read_text()
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        r = run("--kb", small_kb, "review", "tst-0001", "--status", "verified", "--by", "R")
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: cannot record the review: {path} is read-only")
    assert path.read_text() == before


def test_interrupted_write_leaves_the_file_as_it_was(run, small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = small_kb / CLAIMS
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    r = run("--kb", small_kb, "review", "tst-0001", "--status", "verified", "--by", "R")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: cannot write {path}: No space left on device")
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["testorg2020study.yaml"]  # no temporary file left


def test_malformed_yaml_exits_2_naming_the_file(run, small_kb: Path) -> None:
    path = small_kb / CLAIMS
    path.write_text(path.read_text().replace("  kind: indicator\n", "  kind: [indicator\n"))
    before = path.read_text()
    r = run("--kb", small_kb, "review", "tst-0001", "--status", "verified")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: invalid YAML") and str(path) in r.stderr
    assert path.read_text() == before


def test_flow_style_claim_is_refused(tmp_path: Path) -> None:
    from kb.errors import BadInput

    text = "document: d\nclaims:\n- {id: x-0001, statement: S., kind: finding, quote: q, section: s}\n"
    with pytest.raises(BadInput, match="flow style"):
        edit_review(text, "x-0001", {"status": "verified", "by": "R", "on": date(2026, 1, 2),
                                     "fingerprint": "abc", "note": ""})


def test_library_returns_the_claim_read_back(small_kb: Path) -> None:
    claim = record_review(load_kb(small_kb), "tst-0006", "needs-work", by="L", note="period?", on=date(2026, 2, 3))
    assert claim.status == "needs-work" and claim.review.on == date(2026, 2, 3)
