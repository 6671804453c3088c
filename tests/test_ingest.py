"""kb ingest: a PDF laid out as reports are, DOCX/HTML through pandoc, text, and every refusal."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kb.store.document import Document, fold_text
from kb.store.manifest import read_manifest
from kb.store.scaffold import create_knowledge_base
from tests.report_pdf import CLAIMS, RUNNING_HEADER, make_report_pdf, report_source

needs_pandoc = pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and p.name != ".kb.lock"}


@pytest.fixture
def base(tmp_path: Path) -> Path:
    root = tmp_path / "base"
    create_knowledge_base(root)
    return root


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory) -> tuple[Path, dict]:
    """The whole bundled report as an 11-page, two-column A4 PDF (made once for the module)."""
    path = tmp_path_factory.mktemp("pdf") / "cutting-them-free.pdf"
    return path, make_report_pdf(path, columns=2)


@pytest.fixture(scope="module")
def ingested(report_pdf, tmp_path_factory) -> Path:
    from typer.testing import CliRunner

    from kb.cli import app

    root = tmp_path_factory.mktemp("kb") / "base"
    create_knowledge_base(root)
    result = CliRunner().invoke(app, ["--kb", str(root), "ingest", str(report_pdf[0]), "--key", "ctfpdf"])
    assert result.exit_code == 0, result.output
    return root


def body_of(text: str) -> str:
    """The body in the compared form: markers, footnote texts and heading marks out, hyphens joined."""
    text = re.sub(r"(?ms)^\[\^\d+\]:.*?(?=\n\s*\n|\Z)", "", text)
    text = re.sub(r"\[\^\d+\]", "", text)
    text = re.sub(r"(?m)^# ", "", text)
    text = re.sub(r"(?<=[A-Za-z])-\n(?=[a-z])", "", text)
    return fold_text(text)


def test_pdf_quotes_of_the_bundled_claims_are_found(ingested: Path, run) -> None:
    document = Document.read("ctfpdf", ingested / "sources" / "documents" / "ctfpdf.txt")
    fragments = [f for c in yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))["claims"]
                 for f in ([c["quote"]] if isinstance(c["quote"], str) else c["quote"])]
    found = sum(document.find(f) is not None for f in fragments)
    assert found / len(fragments) >= 0.99, f"{found} of {len(fragments)} quote fragments found"
    result = run("--kb", ingested, "quote", fragments[0], "--doc", "ctfpdf")
    assert result.exit_code == 0, result


def test_pdf_footnotes_recovered_with_their_numbers(ingested: Path) -> None:
    document = Document.read("ctfpdf", ingested / "sources" / "documents" / "ctfpdf.txt")
    source = report_source()
    notes = document.footnotes
    assert sorted(notes) == sorted(source.notes)
    for number, text in source.notes.items():
        assert fold_text(notes[number].text) == fold_text(text), number
        assert notes[number].marker is not None, number


def test_pdf_body_character_accuracy(ingested: Path, capsys) -> None:
    from rapidfuzz import fuzz

    text = (ingested / "sources" / "documents" / "ctfpdf.txt").read_text(encoding="utf-8")
    source = " ".join(" ".join(w for w in b.words) for b in report_source().blocks)
    source = fold_text(re.sub(r"\x01\d+", "", source))
    ratio = fuzz.ratio(body_of(text), source)
    with capsys.disabled():
        print(f"\n[ingest] body character accuracy vs source: {ratio:.2f}%")
    assert ratio >= 98.0


def test_pdf_layout_cleaned_and_page_map(ingested: Path, report_pdf) -> None:
    text = (ingested / "sources" / "documents" / "ctfpdf.txt").read_text(encoding="utf-8")
    assert RUNNING_HEADER not in text
    assert not re.search(r"(?m)^\s*\d{1,2}\s*$", text), "a page number was left in the text"
    assert "# Introduction" in text.splitlines()
    manifest = read_manifest(ingested / "sources" / "documents", "ctfpdf")
    assert [p.page for p in manifest.pages] == report_pdf[1]["labels"]
    assert manifest.pages[0].offset == 0
    assert manifest.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert manifest.source_sha256 == hashlib.sha256(report_pdf[0].read_bytes()).hexdigest()
    assert manifest.source_file == "cutting-them-free.pdf" and manifest.complete is False
    assert manifest.extractor.startswith("pypdfium2 ")
    bib = (ingested / "sources" / "references.bib").read_text(encoding="utf-8")
    assert "@report{ctfpdf," in bib and "{{Barnardo's}}" in bib and "{2012}" in bib  # from the PDF's info
    assert yaml.safe_load((ingested / "claims" / "ctfpdf.yaml").read_text()) == {"document": "ctfpdf", "claims": []}


def test_one_column_pdf(base: Path, tmp_path: Path, run) -> None:
    pdf = tmp_path / "short.pdf"
    layout = make_report_pdf(pdf, columns=1, max_blocks=30)
    result = run("--kb", base, "ingest", pdf, "--key", "short2012", "--title", "Short", "--year", "2012",
                 "--author", "Barnardo's")
    assert result.exit_code == 0, result
    document = Document.read("short2012", base / "sources" / "documents" / "short2012.txt")
    assert sorted(document.footnotes) == sorted(set(layout["notes"]))
    assert document.find("Child sexual exploitation (CSE) is always abusive") is not None


def _pandoc_doc(tmp_path: Path, suffix: str) -> Path:
    md = tmp_path / "in.md"
    md.write_text("---\ntitle: A local review\nauthor: Smith, Jane\ndate: 2019-05-01\n---\n\n"
                  "# Findings\n\nWe surveyed 120 services in 2019.[^1] Most had a lead.[^2]\n\n"
                  "[^1]: Jones, A. (2018) A survey method. London.\n\n[^2]: Excluding two pilot areas.\n",
                  encoding="utf-8")
    out = tmp_path / f"review{suffix}"
    subprocess.run(["pandoc", str(md), "-s", "-o", str(out)], check=True)
    return out


@needs_pandoc
@pytest.mark.parametrize("suffix", [".docx", ".html", ".odt", ".epub"])
def test_pandoc_formats_keep_footnotes(base: Path, tmp_path: Path, run, suffix: str) -> None:
    source = _pandoc_doc(tmp_path, suffix)
    # DOCX and EPUB carry their metadata; from HTML and ODT pandoc 2.17 gets little or none: flags say it
    flags = () if suffix in (".docx", ".epub") else ("--title", "A local review", "--year", "2019", "--author", "Smith, Jane")
    result = run("--kb", base, "ingest", source, "--key", "smith2019review", *flags)
    assert result.exit_code == 0, result
    text = (base / "sources" / "documents" / "smith2019review.txt").read_text(encoding="utf-8")
    document = Document("smith2019review", text)
    assert {n: f.text for n, f in document.footnotes.items()} == {
        1: "Jones, A. (2018) A survey method. London.", 2: "Excluding two pilot areas."}
    assert all(f.marker is not None for f in document.footnotes.values())
    assert "# Findings" in text
    assert document.find("We surveyed 120 services in 2019. Most had a lead.") is not None
    bib = (base / "sources" / "references.bib").read_text(encoding="utf-8")
    assert "author      = {Smith, Jane}" in bib
    assert "title       = {A local review}" in bib and "year        = {2019}" in bib
    quote = run("--kb", base, "quote", "surveyed 120 services in 2019.", "--json")
    assert quote.exit_code == 0, quote
    assert [f["number"] for f in yaml.safe_load(quote.stdout)[0]["footnotes"]] == [1]


def test_markdown_text_as_given(base: Path, tmp_path: Path, run) -> None:
    md = tmp_path / "notes.md"
    md.write_text("# Part one\n\nA finding.[^1]\n\n[^1]: A source, 2001.\n", encoding="utf-8")
    result = run("--kb", base, "ingest", md, "--key", "doe2001notes", "--title", "Notes", "--year", "2001",
                 "--author", "Doe, John", "--publisher", "An Institute", "--url", "https://example.org/n")
    assert result.exit_code == 0, result
    assert (base / "sources" / "documents" / "doe2001notes.txt").read_bytes() == md.read_bytes()
    bib = (base / "sources" / "references.bib").read_text(encoding="utf-8")
    assert "institution = {An Institute}" in bib and "url         = {https://example.org/n}" in bib
    from kb.store.loader import load_kb

    kb = load_kb(base)
    assert kb.sources["doe2001notes"].title == "Notes"
    assert kb.sources["doe2001notes"].authors[0].family == "Doe"


# --- refusals: one Error: line, exit 2, nothing written ---------------------------------------


FLAGS = ("--title", "T", "--year", "2020", "--author", "A")
"""What every refusal test gives, so only the bad input differs."""


def one_page_pdf(path: Path, draw) -> Path:
    """A one-page PDF at ``path``, ``draw(pdf)`` giving its content (and any encryption)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    draw(pdf)
    pdf.output(str(path))
    return path


def _refused(run, base: Path, *args: object, message: str) -> None:
    before = snapshot(base)
    result = run("--kb", base, "ingest", *args)
    assert result.exit_code == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
    assert snapshot(base) == before


def test_refuses_unreadable_pdf(base: Path, tmp_path: Path, run) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\nthis is not really a PDF\n")
    _refused(run, base, bad, "--key", "x2020", *FLAGS, message="not a readable PDF")


def test_refuses_encrypted_pdf(base: Path, tmp_path: Path, run) -> None:
    def locked(pdf) -> None:
        pdf.set_font("Helvetica", size=12)
        pdf.text(20, 20, "Secret")
        pdf.set_encryption(owner_password="owner", user_password="user")

    path = one_page_pdf(tmp_path / "locked.pdf", locked)
    _refused(run, base, path, "--key", "x2020", *FLAGS, message="encrypted PDF")


def test_refuses_unknown_extension(base: Path, tmp_path: Path, run) -> None:
    path = tmp_path / "report.rtf"
    path.write_text("{\\rtf1 hello}")
    _refused(run, base, path, "--key", "x2020", message="unknown file type '.rtf'")


def test_refuses_used_key(base: Path, tmp_path: Path, run) -> None:
    md = tmp_path / "a.md"
    md.write_text("Text.\n")
    args = FLAGS
    assert run("--kb", base, "ingest", md, "--key", "a2020", *args).exit_code == 0
    _refused(run, base, md, "--key", "a2020", *args, message="already used")
    (base / "claims" / "b2020.yaml").write_text("document: b2020\nclaims: []\n")
    _refused(run, base, md, "--key", "b2020", *args, message="claims/b2020.yaml exists")


def test_refuses_invalid_key_and_missing_metadata(base: Path, tmp_path: Path, run) -> None:
    md = tmp_path / "a.txt"
    md.write_text("Text.\n")
    _refused(run, base, md, "--key", "bad key,", "--title", "T", "--year", "2020", message="not a valid key")
    _refused(run, base, md, "--key", "a2020", message="does not say its title, year, author")
    _refused(run, base, md, "--key", "a2020", "--title", "T", "--author", "A", "--year", "20x0",
             message="four-digit year")


def test_refuses_pandoc_formats_without_pandoc(base: Path, tmp_path: Path, run, monkeypatch) -> None:
    path = tmp_path / "r.docx"
    path.write_bytes(b"PK\x03\x04")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    _refused(run, base, path, "--key", "x2020", *FLAGS, message="pandoc is not installed")


def test_a_failed_write_leaves_nothing(base: Path, tmp_path: Path, monkeypatch) -> None:
    from kb.errors import WriteError
    from kb.ingest import Metadata, ingest, intake

    md = tmp_path / "a.md"
    md.write_text("Text.\n")
    before = snapshot(base)
    real = intake.atomic_write_text
    calls = []

    def failing(path, text, **kw):
        calls.append(path)
        if len(calls) == 4:  # references.bib, the last write
            raise WriteError(f"cannot write {path}: disk full")
        real(path, text, **kw)

    monkeypatch.setattr(intake, "atomic_write_text", failing)
    with pytest.raises(WriteError):
        ingest(base, md, "a2020", Metadata(title="T", year="2020", authors=["A"]))
    assert snapshot(base) == before


@needs_pandoc
def test_html_notes_without_markers_are_kept_as_text(base: Path, tmp_path: Path, run) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>A claim without a marker.</p><section class=\"footnotes\"><ol>"
                    "<li><p>An orphan note, 2011.</p></li></ol></section></body></html>", encoding="utf-8")
    result = run("--kb", base, "ingest", page, "--key", "page2011", "--title", "P", "--year", "2011",
                 "--author", "A")
    assert result.exit_code == 0, result
    text = (base / "sources" / "documents" / "page2011.txt").read_text(encoding="utf-8")
    assert "An orphan note, 2011." in text and "[^" not in text


def test_refuses_unknown_type_and_pdf_without_text(base: Path, tmp_path: Path, run) -> None:
    md = tmp_path / "a.md"
    md.write_text("Text.\n")
    _refused(run, base, md, "--key", "a2020", *FLAGS, "--type", "poster", message="unsupported entry type 'poster'")
    # a page with a drawing and no text, as a scan has
    path = one_page_pdf(tmp_path / "scan.pdf", lambda pdf: pdf.rect(20, 20, 100, 50))
    _refused(run, base, path, "--key", "a2020", *FLAGS, message="has no text layer")


def test_read_only_base_refused_with_nothing_written(base: Path, tmp_path: Path, run) -> None:
    import os

    md = tmp_path / "a.md"
    md.write_text("Text.\n")
    (base / "claims").chmod(0o555)
    try:
        if os.access(base / "claims", os.W_OK):
            pytest.skip("root writes into read-only directories")
        _refused(run, base, md, "--key", "a2020", *FLAGS, message="cannot write")
    finally:
        (base / "claims").chmod(0o755)


def test_concurrent_ingests_lose_no_entry(base: Path, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from kb.ingest import Metadata, ingest
    from kb.store.loader import load_kb

    files = []
    for i in range(6):
        path = tmp_path / f"n{i}.md"
        path.write_text(f"Note {i}.\n")
        files.append(path)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda i: ingest(base, files[i], f"n{i}x2020", Metadata(title=f"N{i}", year="2020",
                                                                            authors=["A"])), range(6)))
    kb = load_kb(base)
    assert {f"n{i}x2020" for i in range(6)} <= set(kb.sources)
    assert set(kb.document_keys) == {f"n{i}x2020" for i in range(6)}
