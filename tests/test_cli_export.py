"""``kb export`` and ``kb styles`` driven as a user would: exit codes, messages, files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def test_export_markdown_to_stdout(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export", "--format", "markdown")
    assert r.exit_code == 0, r.stderr
    assert "(Jago et al., 2011, cited in Test Organisation, 2020a)." in r.stdout
    assert "## References" in r.stdout


def test_export_to_a_file_says_where(run, small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "facts.html"
    r = run("--kb", small_kb, "export", "-f", "html", "--style", "apa", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    assert f"Exported 7 claim(s) as html to {out}" in r.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_export_pandoc_writes_bibliography_and_style_beside(run, small_kb: Path, tmp_path: Path) -> None:
    (tmp_path / "doc").mkdir()
    out = tmp_path / "doc" / "facts.md"
    r = run("--kb", small_kb, "export", "-f", "pandoc", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["facts.csl", "facts.md", "facts.references.json"]
    assert {i["id"] for i in json.loads((out.parent / "facts.references.json").read_text(encoding="utf-8"))} >= {"jago2011whats"}
    assert "[@jago2011whats; cited in @testorg2020study]" in out.read_text(encoding="utf-8")


def test_select_by_id_status_and_query(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export", "-f", "csv", "--id", "tst-0004", "--id", "tst-0002")
    assert r.exit_code == 0, r.stderr
    assert [line.split(",")[0] for line in r.stdout.splitlines()[1:]] == ["tst-0004", "tst-0002"]
    r = run("--kb", small_kb, "export", "-f", "jsonl", "--status", "verified")
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ["tst-0005"]
    r = run("--kb", small_kb, "export", "convictions", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert [rec["id"] for rec in json.loads(r.stdout)][0] == "tst-0004"


def test_bibliography_formats_hold_cited_works_and_documents(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export", "-f", "bibtex", "--id", "tst-0004")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("\n@") + r.stdout.startswith("@") == 2
    assert "@dataset{moj2011criminal," in r.stdout and "@report{testorg2020study," in r.stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    (["-f", "docx"], 2, "Error: unknown export format 'docx'; use one of json, jsonl, csv, markdown, pandoc"),
    (["-f", "markdown", "--style", "harvard-cite-them-rigth"], 2,
     "Error: unknown citation style 'harvard-cite-them-rigth'; did you mean harvard-cite-them-right"),
    (["zzzqqqxx", "-f", "markdown"], 1, "Error: no claims match the query 'zzzqqqxx'"),
    (["-f", "csv", "--id", "tst-0099"], 2, "Error: no claim with id 'tst-0099'"),
    (["-f", "csv", "--status", "approved"], 2, "Error: unknown review status 'approved'"),
    (["-f", "csv", "--status", "disputed"], 1, "Error: none of the claims"),
])
def test_bad_input_is_one_line_and_leaves_no_file(run, small_kb: Path, tmp_path: Path, args: list[str],
                                                  code: int, message: str) -> None:
    (tmp_path / "out").mkdir()
    r = run("--kb", small_kb, "export", *args, "-o", tmp_path / "out" / "facts.md")
    assert r.exit_code == code, r
    assert r.stderr.startswith(message), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert list((tmp_path / "out").iterdir()) == []


def test_unwritable_path_is_exit_2_and_nothing_left(run, small_kb: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    r = run("--kb", small_kb, "export", "-f", "pandoc", "-o", blocker / "facts.md")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: cannot write") and "does not exist" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "small-kb"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_directory_is_exit_2(run, small_kb: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        r = run("--kb", small_kb, "export", "-f", "pandoc", "-o", locked / "facts.md")
        assert r.exit_code == 2 and r.stderr.startswith("Error: cannot write")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_a_failed_export_keeps_the_old_file(run, small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "facts.md"
    out.write_text("old", encoding="utf-8")
    r = run("--kb", small_kb, "export", "-f", "markdown", "--style", "nope-not-a-style", "-o", out)
    assert r.exit_code == 2
    assert out.read_text(encoding="utf-8") == "old"


def test_styles_lists_matches(run) -> None:
    r = run("styles", "harvard-cite-them-right")
    assert r.exit_code == 0
    first = r.stdout.splitlines()[0].split(None, 1)
    assert first[0] == "harvard-cite-them-right" and first[1].startswith("Cite Them Right 12th edition")
    r = run("styles", "zzzqqq-none")
    assert r.exit_code == 1 and r.stderr.startswith("Error: no citation style matches 'zzzqqq-none'")


def test_missing_format_is_usage_error(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export")
    assert r.exit_code == 2
    assert "--format" in r.stderr
