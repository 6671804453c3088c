"""Every export format: round trips, golden Markdown and HTML, and pandoc as the real client.

Golden files live in tests/data/golden/. After a deliberate change to the output,
regenerate them and review the diff:

    KB_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_exporters.py -k golden
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kb.errors import BadInput, WriteError
from kb.publish.export import ExportResult, export, select_claims, write_export
from kb.publish.exporters import format_names
from kb.cite.citations import style_path
from kb.cite.csl import csl_title
from kb.publish.export import anchor_offset
from kb.publish.exporters.bibtex_common import escape
from kb.store.bibliography import parse_bibliography
from kb.store.loader import load_kb

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
CLAIM_IDS = [f"tst-{n:04d}" for n in range(1, 8)]
SOURCE_KEYS = {"testorg2020study", "jago2011whats", "moj2011criminal", "sexualoffencesact2003", "testorg2020campaign"}


@pytest.fixture
def kb(small_kb: Path):
    return load_kb(small_kb)


def run_format(kb, fmt: str, style: str = "harvard-cite-them-right", output: Path | None = None) -> ExportResult:
    return export(kb, list(kb.claims.values()), fmt, style=style, output=output)


def parse_ris(text: str) -> list[dict[str, list[str]]]:
    """RIS by its line grammar: 'XY  - value'; TY opens a record, ER closes it."""
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        m = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert m, f"not a RIS line: {line!r}"
        tag, value = m.groups()
        if tag == "TY":
            assert current is None, "TY inside a record"
            current = {}
        assert current is not None, f"{tag} outside a record"
        if tag == "ER":
            records.append(current)
            current = None
        else:
            current.setdefault(tag, []).append(value)
    assert current is None, "record not closed by ER"
    return records


def test_every_format_is_registered() -> None:
    assert format_names() == ["json", "jsonl", "csv", "markdown", "pandoc", "html", "bibtex", "biblatex", "csl-json",
                              "ris", "docx", "odt"]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_round_trip(kb, fmt: str) -> None:
    text = run_format(kb, fmt).text
    records = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    assert [r["id"] for r in records] == CLAIM_IDS
    by_id = {r["id"]: r for r in records}
    assert by_id["tst-0002"]["cites"][0]["source"]["key"] == "jago2011whats"
    assert by_id["tst-0002"]["cites"][0]["source"]["author"] == ["Jago, S.", "et al."]
    assert by_id["tst-0002"]["document_source"]["key"] == "testorg2020study"
    for record in records:
        claim = kb.claim(record["id"])
        assert record["fingerprint"] == claim.fingerprint and record["status"] == claim.status
        assert record["statement"] == claim.statement


def test_csv_round_trip(kb) -> None:
    rows = list(csv.DictReader(io.StringIO(run_format(kb, "csv").text)))
    assert [r["id"] for r in rows] == CLAIM_IDS
    for row in rows:
        claim = kb.claim(row["id"])
        assert row["statement"] == claim.statement
        assert row["cites"].split("; ") if row["cites"] else [] == claim.cited_keys
        assert row["quote"] == claim.quote_text and row["fingerprint"] == claim.fingerprint
    assert rows[4]["status"] == "verified"


def test_biblatex_round_trip(kb, tmp_path: Path) -> None:
    path = tmp_path / "out.bib"
    path.write_text(run_format(kb, "biblatex").text, encoding="utf-8")
    sources, problems = parse_bibliography(path)
    assert problems == []
    assert set(sources) == SOURCE_KEYS
    for key, source in sources.items():
        assert source.model_dump() == kb.sources[key].model_dump(), key


def test_biblatex_types_and_corporate_authors(kb) -> None:
    text = run_format(kb, "biblatex").text
    assert "@report{testorg2020study," in text and "@legislation{sexualoffencesact2003," in text
    assert "@dataset{moj2011criminal," in text and "@online{testorg2020campaign," in text
    assert "author      = {{Test Organisation}}" in text
    assert "author      = {Jago, S. and others}" in text
    assert "institution = {University of Bedfordshire}" in text
    assert escape("R&D: 10% of #1 cost_$") == r"R\&D: 10\% of \#1 cost\_\$"


def test_classic_bibtex_types(kb) -> None:
    text = run_format(kb, "bibtex").text
    assert "@techreport{testorg2020study," in text and "@misc{sexualoffencesact2003," in text
    assert "@misc{moj2011criminal," in text and "@misc{testorg2020campaign," in text
    assert "@report" not in text and "@legislation" not in text and "@online" not in text
    assert "howpublished = {Web page. https://example.org/campaign}" in text
    assert "key          = {Sexual Offences Act 2003}" in text  # sorts an entry without author
    assert "institution = {University of Bedfordshire}" in text


def test_csl_json_round_trip(kb) -> None:
    items = json.loads(run_format(kb, "csl-json").text)
    assert {i["id"] for i in items} == SOURCE_KEYS
    types = {i["id"]: i["type"] for i in items}
    assert types == {"testorg2020study": "report", "jago2011whats": "report", "moj2011criminal": "dataset",
                     "sexualoffencesact2003": "legislation", "testorg2020campaign": "webpage"}
    allowed = {"id", "type", "author", "issued", "title", "genre", "publisher", "publisher-place", "number",
               "URL", "note"}
    for item in items:
        assert set(item) <= allowed
        assert item["title"] == csl_title(kb.sources[item["id"]])
    # an Act's year is its date, not part of its CSL title (no style prints it twice)
    assert types and next(i for i in items if i["id"] == "sexualoffencesact2003")["title"] == "Sexual Offences Act"


def test_ris_round_trip(kb) -> None:
    records = parse_ris(run_format(kb, "ris").text)
    by_key = {r["ID"][0]: r for r in records}
    assert set(by_key) == SOURCE_KEYS
    assert {k: r["TY"][0] for k, r in by_key.items()} == {
        "testorg2020study": "RPRT", "jago2011whats": "RPRT", "moj2011criminal": "DATA",
        "sexualoffencesact2003": "STAT", "testorg2020campaign": "ELEC"}
    assert by_key["moj2011criminal"]["AU"] == ["Ministry of Justice"]
    assert by_key["jago2011whats"]["AU"] == ["Jago, S."]
    for key, record in by_key.items():
        assert record["TI"] == [kb.sources[key].title]


@pytest.mark.parametrize("fmt", ["markdown", "html", "pandoc"])
def test_documents_hold_every_statement(kb, fmt: str) -> None:
    text = run_format(kb, fmt).text
    for claim in kb.claims.values():
        words = claim.statement.split()[:4] if fmt != "html" else claim.statement.replace("'", "'").split()[:4]
        assert " ".join(words) in text, (fmt, claim.id)


def test_selection_by_ids_status_and_nothing(kb) -> None:
    assert [c.id for c in select_claims(kb, ids=["tst-0004", "tst-0001", "tst-0004"])] == ["tst-0004", "tst-0001"]
    assert [c.id for c in select_claims(kb, status="verified")] == ["tst-0005"]
    assert [c.id for c in select_claims(kb, order="id")] == sorted(CLAIM_IDS)
    assert [c.id for c in select_claims(kb, ids=["tst-0004,tst-0001", "tst-0002"])] == ["tst-0004", "tst-0001",
                                                                                          "tst-0002"]
    assert [c.id for c in select_claims(kb, order="ID", limit=2)] == sorted(CLAIM_IDS)[:2]
    # everything comes in document order: as the quotes appear in their documents
    ordered = select_claims(kb)
    assert sorted(c.id for c in ordered) == sorted(CLAIM_IDS)
    offsets = [(c.document, anchor_offset(kb, c)) for c in ordered]
    assert offsets == sorted(offsets, key=lambda o: (o[0], o[1] if o[1] is not None else 1 << 60))
    with pytest.raises(BadInput, match="unknown --order 'best'"):
        select_claims(kb, order="best")
    with pytest.raises(BadInput, match="--limit must be 1 or more"):
        select_claims(kb, limit=0)
    with pytest.raises(BadInput, match="unknown review status"):
        select_claims(kb, status="approved")
    with pytest.raises(BadInput, match="not both"):
        select_claims(kb, "missing", ids=["tst-0001"])


def test_selection_by_query_uses_search_rank(kb) -> None:
    ids = [c.id for c in select_claims(kb, "missing")]
    assert ids and ids[0] == "tst-0003"


# --- golden files ----------------------------------------------------------------

GOLDEN_CASES = [
    ("markdown", "harvard-cite-them-right", "small-kb.harvard.md"),
    ("markdown", "mhra-notes", "small-kb.mhra-notes.md"),
    ("markdown", "vancouver-nlm", "small-kb.vancouver.md"),
    ("html", "harvard-cite-them-right", "small-kb.harvard.html"),
    ("html", "mhra-notes", "small-kb.mhra-notes.html"),
]


@pytest.mark.parametrize(("fmt", "style", "name"), GOLDEN_CASES)
def test_golden(kb, fmt: str, style: str, name: str) -> None:
    text = run_format(kb, fmt, style).text
    golden = GOLDEN / name
    if os.environ.get("KB_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"regenerate with KB_UPDATE_GOLDEN=1 if intended: {name}"


def test_html_escapes_all_text(small_kb: Path) -> None:
    bib = small_kb / "sources" / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("The campaign page", "Tom & Jerry <script>x</script>"),
                   encoding="utf-8")
    claims = small_kb / "claims" / "testorg2020study.yaml"
    claims.write_text(claims.read_text(encoding="utf-8").replace(
        "sets out the campaign's calls for action.", "sets out <b>calls</b> & demands."), encoding="utf-8")
    kb = load_kb(small_kb)
    text = export(kb, list(kb.claims.values()), "html", style="harvard-cite-them-right", credit="both").text
    assert "<script>" not in text and "<b>calls" not in text
    assert "Tom &amp; Jerry &lt;script&gt;x&lt;/script&gt;" in text
    assert "sets out &lt;b&gt;calls&lt;/b&gt; &amp; demands" in text
    md = run_format(kb, "markdown").text
    assert r"sets out \<b\>calls\</b\> & demands" in md


# --- writing ---------------------------------------------------------------------


def test_write_export_leaves_nothing_when_a_file_fails(tmp_path: Path) -> None:
    companion = tmp_path / "facts.json"
    result = ExportResult("text", {companion: "[]"})
    with pytest.raises(WriteError):
        write_export(result, tmp_path / "missing-dir" / "facts.md")
    assert list(tmp_path.iterdir()) == []


def test_pandoc_files_are_written_beside(kb, tmp_path: Path) -> None:
    out = tmp_path / "facts.md"
    result = run_format(kb, "pandoc", output=out)
    assert set(result.companions) == {tmp_path / "facts.references.json", tmp_path / "facts.csl"}
    assert 'bibliography: "facts.references.json"\ncsl: "facts.csl"\n' in result.text
    # pandoc's own default style needs no .csl
    plain = run_format(kb, "pandoc", style="chicago-author-date", output=out)
    assert set(plain.companions) == {tmp_path / "facts.references.json"} and "csl:" not in plain.text
    with pytest.raises(BadInput, match="overwritten by its own style"):
        run_format(kb, "pandoc", output=tmp_path / "facts.csl")


# --- pandoc, the real client -------------------------------------------------------

PANDOC = shutil.which("pandoc")
needs_pandoc = pytest.mark.skipif(PANDOC is None and os.environ.get("CI") != "true",
                                  reason="pandoc is not installed (in CI, where CI=true, this fails instead)")


def pandoc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PANDOC is not None, "pandoc is required in CI: install it (apt-get install pandoc)"
    done = subprocess.run([PANDOC, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr and "not found" not in done.stderr, done.stderr
    assert "???" not in done.stdout
    return done


@needs_pandoc
@pytest.mark.parametrize("style", ["harvard-cite-them-right", "mhra-notes", "chicago-author-date"])
def test_pandoc_renders_the_pandoc_export(kb, tmp_path: Path, style: str) -> None:
    out = tmp_path / "facts.md"
    write_export(run_format(kb, "pandoc", style=style, output=out), out)
    text = pandoc("--citeproc", "facts.md", "-t", "plain", "--wrap=none", cwd=tmp_path).stdout
    for key in SOURCE_KEYS:
        assert key not in text, f"unresolved citation {key}"
    if style == "harvard-cite-them-right":  # Cite Them Right: "cited in", only the work read is listed
        assert "(Jago et al., 2011, cited in Test Organisation, 2020)" in text
        assert "Jago, S. et al. (2011) What’s going on" not in text
    if style == "chicago-author-date":  # Chicago: "quoted in", both listed
        assert "(Jago et al. 2011, quoted in Test Organisation 2020a)" in text.replace("\xa0", " ")
        assert "Jago, S. et al. 2011. “What’s Going on" in text
    pandoc("--citeproc", "facts.md", "-o", "facts.docx", cwd=tmp_path)
    assert (tmp_path / "facts.docx").stat().st_size > 1000


@needs_pandoc
def test_pandoc_renders_the_stdout_pandoc_export(kb, tmp_path: Path) -> None:
    text = run_format(kb, "pandoc").text
    # the style by its zotero.org address, never a path into the installation
    assert 'csl: "https://www.zotero.org/styles/harvard-cite-them-right"' in text and "site-packages" not in text
    (tmp_path / "facts.md").write_text(text, encoding="utf-8")
    shutil.copy(style_path("harvard-cite-them-right"), tmp_path / "style.csl")  # offline: the same style, local
    text = pandoc("--citeproc", "facts.md", "--csl", "style.csl", "-t", "plain", "--wrap=none", cwd=tmp_path).stdout
    assert "(Ministry of Justice, 2011, Table S5.7, cited in Test Organisation, 2020)" in text


@needs_pandoc
@pytest.mark.parametrize("fmt,name", [("csl-json", "refs.json"), ("biblatex", "refs.bib"),
                                      ("bibtex", "refs.bibtex")])
def test_pandoc_resolves_every_work_of_the_bibliography(kb, tmp_path: Path, fmt: str, name: str) -> None:
    (tmp_path / name).write_text(run_format(kb, fmt).text, encoding="utf-8")
    (tmp_path / "all.md").write_text("Everything [" + "; ".join(f"@{k}" for k in sorted(SOURCE_KEYS)) + "].\n",
                                     encoding="utf-8")
    text = pandoc("--citeproc", "--bibliography", name, "all.md", "-t", "plain", "--wrap=none", cwd=tmp_path).stdout
    assert "Ministry of Justice 2011" in text  # pandoc's default style: Chicago author-date
    assert "Sexual Offences Act" in text and "Jago" in text and "University of Bedfordshire" in text
    if fmt == "csl-json":  # the .bib formats keep the title as printed, for reference managers
        assert "2003 2003" not in text and "2003, 2003" not in text
