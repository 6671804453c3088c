"""Links between claims in the records and every export format (issue 11).

The base: the small fixture with links of every kind added by ``kb links add``, and a
second claims file whose claim links into the first (so incoming links are computed
across files), with a note that tries to be markup in every format.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kb.model.schema import Link
from kb.provenance.links import LinkGraph, add_link
from kb.provenance.records import claim_record
from kb.provenance.verify import verify
from kb.publish.export import export
from kb.store.loader import load_kb

HOSTILE = '<script>alert("x")</script> *b* [l](javascript:x) @key $x$ & =1+1'
SECOND_FILE = f"""\
# A second claims file on the same document: its links point into the first file.
document: testorg2020study
claims:
- id: tst-0008
  statement: >-
    The Test Organisation has supported young people for 12 years.
  kind: event
  quote: "The Test Organisation has supported young people for 12 years."
  section: Foreword
  cites: []
  places: [UK]
  topics: [service-users]
  links:
  - {{rel: qualifies, id: tst-0001, note: {json.dumps(HOSTILE)}}}
  - {{rel: updates, id: tst-0006}}
"""
FORMATS = ["json", "jsonl", "csv", "markdown", "html", "pandoc"]


@pytest.fixture
def linked(small_kb: Path) -> Path:
    add_link(load_kb(small_kb), "tst-0006", "repeats", "tst-0001", "the same 1,190 figure")
    add_link(load_kb(small_kb), "tst-0003", "supports", "tst-0002")
    add_link(load_kb(small_kb), "tst-0004", "contradicts", "tst-0005")
    (small_kb / "claims" / "testorg2020study-more.yaml").write_text(SECOND_FILE, encoding="utf-8")
    return small_kb


def export_text(kb, fmt: str, ids: list[str] | None = None, **options) -> str:
    claims = [kb.claims[i] for i in ids] if ids else list(kb.claims.values())
    result = export(kb, claims, fmt, style="harvard-cite-them-right", **options)
    return result.text if isinstance(result.text, str) else result.text.decode()


def test_the_linked_base_is_valid(linked: Path) -> None:
    report = verify(load_kb(linked))
    assert report.errors == [], report.errors


# --- records: JSON and JSONL ------------------------------------------------------


def test_json_records_carry_links_and_incoming_links_from_other_files(linked: Path) -> None:
    kb = load_kb(linked)
    records = {r["id"]: r for r in json.loads(export_text(kb, "json"))}
    assert records["tst-0008"]["links"] == [{"rel": "qualifies", "id": "tst-0001", "note": HOSTILE},
                                            {"rel": "updates", "id": "tst-0006", "note": ""}]
    assert records["tst-0008"]["linked_from"] == []
    assert records["tst-0001"]["links"] == []
    assert sorted(records["tst-0001"]["linked_from"], key=lambda r: r["id"]) == [
        {"rel": "repeats", "id": "tst-0006", "note": "the same 1,190 figure"},
        {"rel": "qualifies", "id": "tst-0008", "note": HOSTILE}]  # tst-0008 is in the other file
    assert records["tst-0006"]["linked_from"] == [{"rel": "updates", "id": "tst-0008", "note": ""}]
    assert records["tst-0005"]["linked_from"] == [{"rel": "contradicts", "id": "tst-0004", "note": ""}]
    assert records["tst-0007"]["links"] == [] and records["tst-0007"]["linked_from"] == []
    keys = list(records["tst-0001"])
    assert keys.index("linked_from") == keys.index("links") + 1


def test_jsonl_has_the_json_records(linked: Path) -> None:
    kb = load_kb(linked)
    lines = [json.loads(line) for line in export_text(kb, "jsonl").splitlines()]
    assert lines == json.loads(export_text(kb, "json"))


def test_incoming_links_come_from_the_whole_base_not_only_the_export(linked: Path) -> None:
    kb = load_kb(linked)
    [record] = json.loads(export_text(kb, "json", ["tst-0001"]))
    assert {r["id"] for r in record["linked_from"]} == {"tst-0006", "tst-0008"}


def test_show_json_has_linked_from(run, linked: Path) -> None:
    result = run("--kb", linked, "show", "tst-0006", "--json")
    assert result.exit_code == 0, result
    record = json.loads(result.stdout)
    assert record["links"] == [{"rel": "repeats", "id": "tst-0001", "note": "the same 1,190 figure"}]
    assert record["linked_from"] == [{"rel": "updates", "id": "tst-0008", "note": ""}]


def test_a_record_with_a_graph_built_once_is_the_same(linked: Path) -> None:
    kb = load_kb(linked)
    graph = LinkGraph.of(kb)
    for claim in kb:
        assert claim_record(kb, claim, anchors=False, graph=graph) == claim_record(kb, claim, anchors=False)


# --- CSV --------------------------------------------------------------------------


def test_csv_has_links_and_linked_from_columns(linked: Path) -> None:
    kb = load_kb(linked)
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(export_text(kb, "csv")))}
    assert list(rows["tst-0001"])[-2:] == ["links", "linked_from"]
    assert rows["tst-0008"]["links"] == "qualifies tst-0001; updates tst-0006"
    assert rows["tst-0001"]["links"] == ""
    assert set(rows["tst-0001"]["linked_from"].split("; ")) == {"repeats tst-0006", "qualifies tst-0008"}
    assert rows["tst-0002"]["linked_from"] == "supports tst-0003"
    assert rows["tst-0007"]["links"] == rows["tst-0007"]["linked_from"] == ""
    assert "<script>" not in export_text(kb, "csv")  # notes are in the JSON export, not in a cell


# --- Markdown, pandoc, HTML -------------------------------------------------------


def item_of(text: str, claim_id: str, statement: str) -> str:
    """The list item of a claim (its lines up to the next item)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("- ") and statement in line)
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("  ")), len(lines))
    return "\n".join(lines[start:end])


@pytest.mark.parametrize(("fmt", "anchor"), [("markdown", '<a id="{}"></a>'), ("pandoc", "[]{{#{}}}")])
def test_markdown_says_repeats_and_contradicted_by_as_links(linked: Path, fmt: str, anchor: str) -> None:
    kb = load_kb(linked)
    text = export_text(kb, fmt)
    one = item_of(text, "tst-0001", "1,190 young people affected by exploitation in 2019-20")
    assert one.startswith("- " + anchor.format("tst-0001"))
    assert "\\\n  Repeated by [tst-0006](#tst-0006) — the same 1,190 figure" in one
    assert ("\\\n  Qualified by [tst-0008](#tst-0008) — \\<script\\>alert(\"x\")\\</script\\> \\*b\\* "
            "\\[l\\](javascript:x) \\@key \\$x\\$ & =1+1") in one
    five = item_of(text, "tst-0005", "Sexual Offences Act 2003")
    assert five.endswith("\\\n  Contradicted by [tst-0004](#tst-0004)")
    eight = item_of(text, "tst-0008", "12 years")
    assert "Qualifies [tst-0001](#tst-0001)" in eight and "Updates [tst-0006](#tst-0006)" in eight
    seven = item_of(text, "tst-0007", "campaign page")
    assert "\n" not in seven and "#tst" not in seven and "<a id" not in seven and "[]{" not in seven
    assert "<script>" not in text


@pytest.mark.parametrize("fmt", ["markdown", "pandoc"])
def test_a_link_to_a_claim_outside_the_export_is_plain_text(linked: Path, fmt: str) -> None:
    kb = load_kb(linked)
    text = export_text(kb, fmt, ["tst-0001", "tst-0006"])
    one = item_of(text, "tst-0001", "1,190 young people affected by exploitation in 2019-20")
    assert "Repeated by [tst-0006](#tst-0006)" in one
    assert "\\\n  Qualified by tst-0008 — " in one
    only = export_text(kb, fmt, ["tst-0005"])
    assert "Contradicted by tst-0004" in only and "(#" not in only
    assert '<a id="' not in only and "[]{#" not in only  # nothing on the page links to it


def anchors_and_targets(html: str) -> tuple[set[str], list[str], list[str]]:
    """Every id on the page, every in-page href, and the tags found."""
    found: tuple[set[str], list[str], list[str]] = (set(), [], [])

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found[2].append(tag)
            for name, value in attrs:
                if name == "id":
                    found[0].add(value)
                if name == "href" and value.startswith("#"):
                    found[1].append(value[1:])

    Parser().feed(html)
    return found


def test_html_lists_links_under_each_claim_and_every_link_lands(linked: Path) -> None:
    kb = load_kb(linked)
    page = export_text(kb, "html")
    ids, targets, tags = anchors_and_targets(page)
    assert "script" not in tags
    assert {"tst-0001", "tst-0004", "tst-0005", "tst-0006", "tst-0008"} <= set(targets)
    assert set(targets) <= ids
    assert ('<li>Qualified by <a href="#tst-0008">tst-0008</a> — &lt;script&gt;alert("x")&lt;/script&gt; '
            "*b* [l](javascript:x) @key $x$ &amp; =1+1</li>") in page
    assert '<li>Contradicted by <a href="#tst-0004">tst-0004</a></li>' in page
    seven = page[page.index('<li id="tst-0007">'):]
    assert "claim-links" not in seven[:seven.index("</li>")]


def test_html_links_outside_the_page_are_plain_text(linked: Path) -> None:
    kb = load_kb(linked)
    page = export_text(kb, "html", ["tst-0001"])
    assert "<li>Repeated by tst-0006 — the same 1,190 figure</li>" in page
    assert anchors_and_targets(page)[1] == []


def test_quotes_keep_links_in_html_and_leave_them_out_of_markdown(linked: Path) -> None:
    kb = load_kb(linked)
    assert "Repeated by" in export_text(kb, "html", quotes=True)
    for fmt in ("markdown", "pandoc"):
        text = export_text(kb, fmt, quotes=True)
        assert "Repeated by" not in text and "(#tst-" not in text and '<a id="' not in text


def test_a_hostile_link_id_is_escaped_and_never_a_link(linked: Path) -> None:
    """The loader refuses such an id; a base built in code still cannot inject markup."""
    kb = load_kb(linked)
    bad = Link.model_construct(rel="repeats", id='x"><script>y</script>', note="")
    claim = kb.claims["tst-0007"]
    kb.claims["tst-0007"] = claim.model_copy(update={"links": [bad]})
    page = export_text(kb, "html")
    assert "script" not in anchors_and_targets(page)[2]
    assert "<li>Repeats x&quot;&gt;&lt;script&gt;y&lt;/script&gt;</li>" in page
    text = export_text(kb, "markdown")
    assert 'Repeats x"\\>\\<script\\>y\\</script\\>' in text and "<script>" not in text


# --- pandoc as the real reader ----------------------------------------------------

pandoc = pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")


@pandoc
@pytest.mark.parametrize(("fmt", "reader"), [("markdown", "gfm"), ("pandoc", "markdown")])
def test_pandoc_reads_the_links_as_links_to_the_claims(linked: Path, fmt: str, reader: str) -> None:
    kb = load_kb(linked)
    done = subprocess.run(["pandoc", "-f", reader, "-t", "html"], input=export_text(kb, fmt), capture_output=True,
                          text=True, check=True, timeout=60)
    ids, targets, tags = anchors_and_targets(done.stdout)
    assert "script" not in tags
    assert set(targets) == {"tst-0001", "tst-0002", "tst-0003", "tst-0004", "tst-0005", "tst-0006", "tst-0008"}
    assert set(targets) <= ids
    flat = " ".join(done.stdout.split())
    assert 'Qualified by <a href="#tst-0008">tst-0008</a> — &lt;script&gt;alert(' in flat
    assert "<br />" in done.stdout  # each link on its own line


@pandoc
def test_docx_keeps_the_links_as_bookmarks(linked: Path) -> None:
    import zipfile

    kb = load_kb(linked)
    result = export(kb, list(kb.claims.values()), "docx", style="harvard-cite-them-right")
    with zipfile.ZipFile(io.BytesIO(result.text)) as docx:
        body = docx.read("word/document.xml").decode()
    assert 'w:name="tst-0001"' in body  # the bookmark
    assert 'w:anchor="tst-0001"' in body  # the link to it
    assert "Repeated by" in body


# --- one link graph per export ----------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_builds_the_link_graph_once(linked: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = load_kb(linked)
    calls = []
    original = LinkGraph.of.__func__

    def counted(cls, base):
        calls.append(base)
        return original(cls, base)

    monkeypatch.setattr(LinkGraph, "of", classmethod(counted))
    export_text(kb, fmt)
    assert len(calls) == 1
