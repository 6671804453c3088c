"""Every string from a base is data: each export format escapes it for where it lands.

A hostile base (markup, TeX, formulas, newlines in statements, locators, titles,
authors, sections and URLs) is exported in every format; the outputs are read
back by their real readers (pandoc to HTML and LaTeX, bibtexparser, pybtex, csv,
json) and must show the text, never interpret it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kb.errors import BadInput
from kb.model.schema import Cite, Organisation, Person
from kb.publish.export import export, write_export
from kb.publish.exporters.csv import cell
from kb.publish.exporters.html import safe_href
from kb.store.loader import load_kb

SCRIPT = "<script>alert(1)</script>"
STATEMENT = (f"=HYPERLINK(\"http://evil.example\",\"x\") {SCRIPT} \\textbf{{bold}} $x^2$ @jago2011whats "
             "[link](javascript:alert(1)) `<i>raw</i>`{=html} &lt;b&gt; ~sub~ ^sup^ *em* <!-- c -->")
LOCATOR = f"Table {SCRIPT}"
SECTION = "<img src=x onerror=alert(1)>"
TITLE = "Crime } \\ in England & Wales_2010: 50% of #1 $5 ~^ {x}"


@pytest.fixture
def hostile(small_kb: Path):
    """The small base with hostile text in every field an exporter writes."""
    kb = load_kb(small_kb)
    claim = kb.claims["tst-0004"]
    kb.claims["tst-0004"] = claim.model_copy(update={
        "statement": STATEMENT, "section": SECTION,
        "cites": [Cite(key="moj2011criminal", locator=LOCATOR)],
    })
    kb.sources["moj2011criminal"] = kb.sources["moj2011criminal"].model_copy(update={
        "title": TITLE, "publisher": "Ministry of Justice & Co\nTY  - JOUR", "note": "line one\nER  - "})
    kb.sources["jago2011whats"] = kb.sources["jago2011whats"].model_copy(update={
        "authors": [Person(family="Müller", given="S.")], "title": "England & Wales"})
    kb.sources["testorg2020study"] = kb.sources["testorg2020study"].model_copy(update={
        "url": "javascript:alert(1)", "authors": [Organisation(name="Test <b>Org</b>")]})
    return kb


def run(kb, fmt: str, style: str = "harvard-cite-them-right", **kw):
    return export(kb, list(kb.claims.values()), fmt, style=style, credit="both", **kw)


# --- HTML -------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["harvard-cite-them-right", "mhra-notes"])
@pytest.mark.parametrize("quotes", [False, True])
def test_html_escapes_every_field(hostile, style: str, quotes: bool) -> None:
    text = run(hostile, "html", style, quotes=quotes, title="<b>T</b>").text
    assert "<script" not in text and "<img" not in text and "<b>" not in text and "<i>raw" not in text
    assert not re.search(r"href=\"\s*javascript", text, re.I)  # the text may show it; no link runs it
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    if not quotes:
        assert "Table &lt;script&gt;" in text


def test_safe_href_allows_only_http_and_relative() -> None:
    assert safe_href("https://example.org/a?b=1&c=2") == "https://example.org/a?b=1&amp;c=2"
    assert safe_href("report.pdf") == "report.pdf"
    assert safe_href('x" onmouseover="y') == "x&quot; onmouseover=&quot;y"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,x",
                "vbscript:x"):
        assert safe_href(bad) is None, bad


# --- Markdown and pandoc: rendered by the real pandoc -----------------------------------

PANDOC = shutil.which("pandoc")
needs_pandoc = pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")


def pandoc_to(source: Path, to: str, *extra: str) -> str:
    assert PANDOC is not None
    done = subprocess.run([PANDOC, *extra, str(source.name), "-t", to, "--wrap=none"], cwd=source.parent, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_nothing_interpreted(html: str, latex: str) -> None:
    for raw in ("<script", "<img", "<i>raw", "<b>", "<!--", 'href="javascript', "<em>em", "<sub>sub", "<sup>sup"):
        assert raw not in html, raw
    assert "@jago2011whats" in html  # the text, not a citation
    assert "&lt;script&gt;" in html
    assert "\\textbf{bold}" not in latex and "\\(x^2\\)" not in latex and "\\emph{em}" not in latex
    assert "\\textbackslash textbf\\{bold\\}" in latex and "\\$x" in latex


@needs_pandoc
@pytest.mark.parametrize("style", ["harvard-cite-them-right", "mhra-notes", "vancouver-nlm"])
def test_markdown_is_inert_in_pandoc(hostile, tmp_path: Path, style: str) -> None:
    source = tmp_path / "facts.md"
    source.write_text(run(hostile, "markdown", style).text, encoding="utf-8")
    assert_nothing_interpreted(pandoc_to(source, "html"), pandoc_to(source, "latex"))


@needs_pandoc
@pytest.mark.parametrize("style", ["apa", "chicago-author-date", "vancouver-nlm"])
def test_pandoc_export_is_inert_in_pandoc(hostile, tmp_path: Path, style: str) -> None:
    out = tmp_path / "facts.md"
    write_export(run(hostile, "pandoc", style, output=out, title=f"Title {SCRIPT} $x$"), out)
    html = pandoc_to(out, "html", "--citeproc", "-s")
    latex = pandoc_to(out, "latex", "--citeproc")
    assert_nothing_interpreted(html, latex)
    assert "<title>Title &lt;script&gt;" in html


# --- BibTeX and BibLaTeX ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_bib_specials_are_encoded_once(hostile, tmp_path: Path, fmt: str) -> None:
    text = run(hostile, fmt).text
    assert "{England \\& Wales}" in text and "\\\\&" not in text  # one backslash
    assert "Müller, S." in text  # accents stay UTF-8
    assert ("Crime \\textbraceright{} \\textbackslash{} in England \\& Wales\\_2010: 50\\% of \\#1 \\$5 "
            "\\textasciitilde{}\\textasciicircum{} \\textbraceleft{}x\\textbraceright{}") in text
    # every entry's braces balance, so each reader sees every entry
    import bibtexparser
    from bibtexparser import middlewares

    library = bibtexparser.parse_string(text, append_middleware=[middlewares.LatexDecodingMiddleware()])
    assert library.failed_blocks == []
    titles = {e.key: e.fields_dict["title"].value for e in library.entries}
    assert titles["jago2011whats"].strip("{}") == "England & Wales"
    authors = {e.key: e.fields_dict["author"].value for e in library.entries if "author" in e.fields_dict}
    assert authors["jago2011whats"] == "Müller, S. and others"
    assert "\\ in England & Wales_2010: 50% of #1 $5" in titles["moj2011criminal"]

    from pybtex.database import parse_string
    from pybtex.richtext import Text

    data = parse_string(text, "bibtex")
    assert set(data.entries) == {s.key for s in hostile.sources.values()}
    assert Text.from_latex(data.entries["jago2011whats"].fields["title"]).render_as("text") == "England & Wales"
    assert str(data.entries["jago2011whats"].persons["author"][0]) == "Müller, S."


def test_pybtex_plain_formats_every_classic_entry(hostile) -> None:
    from pybtex.database import parse_string
    from pybtex.plugin import find_plugin

    data = parse_string(run(hostile, "bibtex").text, "bibtex")
    style = find_plugin("pybtex.style.formatting", "plain")()
    formatted = list(style.format_entries(data.entries.values()))
    assert len(formatted) == len(data.entries)
    text = "\n".join(e.text.render_as("text") for e in formatted)
    assert "England & Wales" in text


# --- CSV ----------------------------------------------------------------------------------


def test_csv_cells_cannot_run_as_formulas(hostile) -> None:
    rows = list(csv.DictReader(io.StringIO(run(hostile, "csv").text)))
    row = next(r for r in rows if r["id"] == "tst-0004")
    assert row["statement"].startswith("'=HYPERLINK(")
    assert row["statement"][1:] == " ".join(STATEMENT.split())
    for value in ("=1+1", "+x", "-x", "-1+1", "@SUM(A1)", "\tx", "\rx"):
        assert cell(value) == "'" + value
    for value in ("-5", "+2.5", "-1e3", "12", "tst-0001", "a=b"):
        assert cell(value) == value


# --- RIS ----------------------------------------------------------------------------------


def test_ris_values_cannot_start_a_tag_line(hostile) -> None:
    text = run(hostile, "ris").text
    tags = [line[:6] for line in text.splitlines() if line]
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - ", tag) for tag in tags), tags
    assert tags.count("TY  - ") == tags.count("ER  - ") == len(hostile.sources)
    assert "PB  - Ministry of Justice & Co TY - JOUR" in text


# --- JSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csl-json"])
def test_json_carries_text_as_is(hostile, fmt: str) -> None:
    text = run(hostile, fmt).text
    values = json.loads(text) if fmt != "jsonl" else [json.loads(line) for line in text.splitlines()]
    if fmt != "csl-json":
        record = next(v for v in values if v["id"] == "tst-0004")
        assert record["statement"] == STATEMENT and record["section"] == SECTION
        assert record["cites"][0]["locator"] == LOCATOR
    else:
        assert {i["id"]: i["title"] for i in values}["moj2011criminal"] == TITLE


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_never_writes_nan(hostile, fmt: str) -> None:
    claim = hostile.claims["tst-0001"]
    quantity = claim.quantities[0].model_copy(update={"value": math.nan})
    hostile.claims["tst-0001"] = claim.model_copy(update={"quantities": [quantity]})
    with pytest.raises(BadInput, match="claim tst-0001 holds a number that is not finite"):
        run(hostile, fmt)
