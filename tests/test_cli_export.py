"""``kb export`` and ``kb styles`` driven as a user would: exit codes, messages, files."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import threading
import zipfile
from pathlib import Path

import pytest


def test_export_markdown_to_stdout(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export", "--format", "markdown")
    assert r.exit_code == 0, r.stderr
    assert "(Jago et al., 2011, cited in Test Organisation, 2020)." in r.stdout
    assert "## References" in r.stdout


def test_export_to_a_file_says_where(run, small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "facts.html"
    r = run("--kb", small_kb, "export", "-f", "html", "--style", "apa", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    assert f"Exported 7 claims (1 work in the references) as html to {out}" in r.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_export_pandoc_writes_bibliography_and_style_beside(run, small_kb: Path, tmp_path: Path) -> None:
    (tmp_path / "doc").mkdir()
    out = tmp_path / "doc" / "facts.md"
    r = run("--kb", small_kb, "export", "-f", "pandoc", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["facts.csl", "facts.md", "facts.references.json"]
    assert {i["id"] for i in json.loads((out.parent / "facts.references.json").read_text(encoding="utf-8"))} == {"testorg2020study"}
    text = out.read_text(encoding="utf-8")
    assert "[Jago et al., 2011, cited in @testorg2020study]" in text  # Cite Them Right: the work read is listed
    assert 'title: "Claims and references"' in text and "nocite" not in text


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
    r = run("--kb", small_kb, "export", "-f", "biblatex", "--id", "tst-0004")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("\n@") + r.stdout.startswith("@") == 2
    assert "@dataset{moj2011criminal," in r.stdout and "@report{testorg2020study," in r.stdout
    r = run("--kb", small_kb, "export", "-f", "BibTeX", "--id", "tst-0004")
    assert "@misc{moj2011criminal," in r.stdout and "@techreport{testorg2020study," in r.stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    (["-f", "dox"], 2, "Error: unknown export format 'dox'; did you mean docx"),
    (["-f", "markdown", "--credit", "all"], 2, "Error: unknown --credit 'all'; use both, read or cited"),
    (["-f", "markdown", "--order", "best"], 2, "Error: unknown --order 'best'; use one of rank, document, id"),
    (["-f", "markdown", "--limit", "0"], 2, "Error: --limit must be 1 or more, not 0"),
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


# --- selecting, naming, counting ------------------------------------------------------


def test_ids_comma_separated_limit_and_order(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export", "-f", "csv", "--id", "tst-0004,tst-0002", "--id", "tst-0001")
    assert [line.split(",")[0] for line in r.stdout.splitlines()[1:]] == ["tst-0004", "tst-0002", "tst-0001"]
    r = run("--kb", small_kb, "export", "-f", "csv", "--id", "tst-0004,tst-0002,tst-0001", "--order", "id",
            "--limit", "2")
    assert [line.split(",")[0] for line in r.stdout.splitlines()[1:]] == ["tst-0001", "tst-0002"]


def test_format_and_style_names_any_case(run, small_kb: Path) -> None:
    upper = run("--kb", small_kb, "export", "-f", "MARKDOWN", "--style", "APA", "--id", "tst-0002")
    lower = run("--kb", small_kb, "export", "-f", "markdown", "--style", "apa", "--id", "tst-0002")
    assert upper.exit_code == 0, upper.stderr
    assert upper.stdout == lower.stdout and "as cited in" in upper.stdout


def test_message_counts_works_for_claims(run, small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "refs.bib"
    r = run("--kb", small_kb, "export", "-f", "bibtex", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert r.stderr.strip() == f"Exported 5 works for 7 claims as bibtex to {out}"


def test_credit_overrides_the_style_rule(run, small_kb: Path) -> None:
    read = run("--kb", small_kb, "export", "-f", "markdown", "--id", "tst-0002").stdout
    both = run("--kb", small_kb, "export", "-f", "markdown", "--id", "tst-0002", "--credit", "both").stdout
    cited = run("--kb", small_kb, "export", "-f", "markdown", "--id", "tst-0002", "--credit", "cited").stdout
    assert "Jago, S. et al. (2011)" not in read and "Test Organisation (2020)" in read
    assert "Jago, S. et al. (2011)" in both and "Test Organisation (2020)" in both
    assert "(Jago et al., 2011)." in cited and "cited in" not in cited and "Test Organisation (2020)" not in cited


def test_quotes_are_block_quotes_with_their_citation(run, small_kb: Path) -> None:
    from kb.store.loader import load_kb

    claim = load_kb(small_kb).claim("tst-0002")
    r = run("--kb", small_kb, "export", "-f", "markdown", "--quotes", "--id", "tst-0002")
    assert r.exit_code == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("> ") and first.endswith("(Jago et al., 2011, cited in Test Organisation, 2020)")
    assert " ".join(claim.fragments[0].split())[:40] in first


def test_title_goes_into_pandoc_and_html(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export", "missing", "-f", "pandoc")
    assert 'title: "Claims: missing"' in r.stdout
    r = run("--kb", small_kb, "export", "-f", "html", "--title", "Evidence <b>base</b>")
    assert "<h1>Evidence &lt;b&gt;base&lt;/b&gt;</h1>" in r.stdout


# --- docx and odt ----------------------------------------------------------------------

needs_pandoc = pytest.mark.skipif(shutil.which("pandoc") is None and os.environ.get("CI") != "true",
                                  reason="pandoc is not installed")


@needs_pandoc
@pytest.mark.parametrize(("fmt", "part"), [("docx", "word/document.xml"), ("odt", "content.xml")])
def test_docx_and_odt_open_as_documents(run, small_kb: Path, tmp_path: Path, fmt: str, part: str) -> None:
    out = tmp_path / f"facts.{fmt}"
    r = run("--kb", small_kb, "export", "-f", fmt, "--style", "apa", "-o", out)
    assert r.exit_code == 0, r.stderr
    with zipfile.ZipFile(out) as archive:
        xml = re.sub(r"<[^>]+>", "", archive.read(part).decode("utf-8"))  # the text, without its runs
    assert "Jago et al., 2011, as cited in" in xml and "References" in xml
    assert "Claims and references" in xml


def test_docx_without_pandoc_is_a_clear_error(run, small_kb: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KB_PANDOC", str(tmp_path / "no-pandoc-here"))
    r = run("--kb", small_kb, "export", "-f", "docx", "-o", tmp_path / "facts.docx")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: pandoc is not installed (needed for docx and odt exports)")
    assert not (tmp_path / "facts.docx").exists()


# --- -o respects its target ------------------------------------------------------------


def test_output_through_a_symlink_keeps_the_link(run, small_kb: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    r = run("--kb", small_kb, "export", "-f", "markdown", "-o", link)
    assert r.exit_code == 0, r.stderr
    assert link.is_symlink() and "## References" in target.read_text(encoding="utf-8")


def test_output_to_a_fifo_writes_into_it(run, small_kb: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    r = run("--kb", small_kb, "export", "-f", "csv", "-o", fifo)
    reader.join(timeout=30)
    assert r.exit_code == 0, r.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a FIFO, not replaced
    assert got and got[0].decode("utf-8").startswith("id,statement,")


def test_output_to_dev_null_leaves_the_device(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export", "-f", "json", "-o", "/dev/null")
    assert r.exit_code == 0, r.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_read_only_file_is_refused(run, small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "locked.md"
    out.write_text("keep", encoding="utf-8")
    out.chmod(0o444)
    r = run("--kb", small_kb, "export", "-f", "markdown", "-o", out)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: cannot write {out}: the file is read-only")
    assert out.read_text(encoding="utf-8") == "keep"


def test_output_dash_is_stdout(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export", "-f", "csv", "-o", "-")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("id,statement,")


@needs_pandoc
def test_docx_quotes_are_block_quotes(run, small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "quotes.docx"
    r = run("--kb", small_kb, "export", "-f", "docx", "--quotes", "--id", "tst-0002", "-o", out)
    assert r.exit_code == 0, r.stderr
    with zipfile.ZipFile(out) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    assert '<w:pStyle w:val="BlockText" />' in xml  # pandoc's style for a block quote
    assert "Research by the University of Bedfordshire" in re.sub(r"<[^>]+>", "", xml)
