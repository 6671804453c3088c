"""The engine protocol: Whoosh and tantivy agree; kb.yaml chooses; tantivy updates and heals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kb.errors import BadInput
from kb.search.query import free_words, parse
from kb.search.searcher import run_search, search_ids
from kb.store.config import read_config

MIX = ["going missing", "sexual", "boys and young men", "kind:statistic police", "CSE place:england", "exploit*",
       "convictons~", '"internet safety"', "year:2009..2011", "value:>=1000", "trafficking NOT place:scotland",
       "kind:recommendation OR kind:policy", "how many children go missing", "topic:perpetrators"]


@pytest.mark.parametrize("query", MIX)
def test_both_engines_count_the_same(bundled_kb: Path, query: str) -> None:
    whoosh = run_search(bundled_kb, query, limit=5, engine="whoosh", facets=("kind", "place"))
    tantivy = run_search(bundled_kb, query, limit=5, engine="tantivy", facets=("kind", "place"))
    assert whoosh.total == tantivy.total and whoosh.exact and tantivy.exact
    assert whoosh.facets == tantivy.facets
    if whoosh.total > 5 and free_words(parse(query)):  # the same claims at the top, give or take scoring
        assert len({h.id for h in whoosh.hits} & {h.id for h in tantivy.hits}) >= 2


def test_kb_yaml_chooses_the_engine(run, small_kb: Path) -> None:
    assert read_config(small_kb).engine == "whoosh"
    r = run("--kb", small_kb, "index", "--engine", "tantivy")
    assert r.exit_code == 0 and "(engine: tantivy)" in r.stdout and "7 claims" in r.stdout
    assert (small_kb / "kb.yaml").read_text() == "engine: tantivy\n"
    assert (small_kb / "index" / "tantivy" / "CURRENT").is_file()
    r = run("--kb", small_kb, "search", "convictions", "--json")
    assert json.loads(r.stdout)["hits"][0]["id"] == "tst-0004"
    r = run("--kb", small_kb, "index")
    assert r.exit_code == 0 and "(engine: tantivy)" in r.stdout and "0 claim(s) re-indexed" in r.stdout
    assert run("--kb", small_kb, "index", "--engine", "whoosh").exit_code == 0
    assert read_config(small_kb).engine == "whoosh"


@pytest.mark.parametrize("text, message", [
    ("engine: lucene\n", "unknown engine 'lucene'"),
    ("engine: whoosh\ncolour: blue\n", "unknown key colour"),
    ("- engine\n", "expected a mapping"),
    ("engine: [\n", "not valid YAML"),
])
def test_bad_kb_yaml_exits_2_naming_the_valid_ones(run, small_kb: Path, text: str, message: str) -> None:
    (small_kb / "kb.yaml").write_text(text)
    with pytest.raises(BadInput):
        read_config(small_kb)
    r = run("--kb", small_kb, "search", "missing")
    assert r.exit_code == 2 and r.stderr.startswith("Error: ") and message in r.stderr


def test_unknown_engine_option(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "index", "--engine", "lucene")
    assert r.exit_code == 2 and "engines: whoosh, tantivy" in r.stderr
    assert not (small_kb / "kb.yaml").exists()


def test_tantivy_is_imported_only_when_chosen(small_kb: Path) -> None:
    code = ("import sys; from kb.search.searcher import search_ids; "
            f"search_ids({str(small_kb)!r}, 'missing'); print('tantivy' in sys.modules)")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "HOME": str(small_kb)}).stdout
    assert out.strip() == "False"


def test_tantivy_updates_changed_claims_only(run, small_kb: Path) -> None:
    from kb.store.edit import append_claim

    (small_kb / "kb.yaml").write_text("engine: tantivy\n")
    assert search_ids(small_kb, "missing") == ["tst-0003"]
    append_claim(small_kb, small_kb / "claims" / "testorg2020study.yaml",
                 {"id": "tst-0008", "statement": "Going missing is a risk.", "kind": "finding",
                  "quote": "children who go missing", "section": "Introduction"}, document="testorg2020study")
    assert sorted(search_ids(small_kb, "missing")) == ["tst-0003", "tst-0008"]
    r = run("--kb", small_kb, "index")
    assert "0 claim(s) re-indexed, 0 removed" in r.stdout  # the search already brought it up to date
    path = small_kb / "claims" / "testorg2020study.yaml"
    path.write_text(path.read_text().replace("Going missing is a risk.", "Running away is a hazard."))
    assert search_ids(small_kb, "hazard") == ["tst-0008"]
    assert "tst-0008" not in search_ids(small_kb, "statement:risk")


def test_tantivy_heals_a_damaged_index(small_kb: Path) -> None:
    (small_kb / "kb.yaml").write_text("engine: tantivy\n")
    search_ids(small_kb, "missing")
    tdir = small_kb / "index" / "tantivy"
    gen = tdir / (tdir / "CURRENT").read_text().strip() / "tantivy"
    import gc

    gc.collect()  # let go of the index mapped in memory by the search above
    for path in gen.iterdir():
        if path.suffix in (".idx", ".store", ".term"):
            with open(path, "r+b") as handle:  # in place, same size: truncating a mapped file is SIGBUS
                handle.write(b"\x00" * path.stat().st_size)
    notices: list[str] = []
    outcome = run_search(small_kb, "missing", notice=notices.append)
    assert [h.id for h in outcome.hits] == ["tst-0003"]
    assert notices and "rebuilding it" in notices[0]


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_incremental_updates_on_both_engines(small_kb: Path, engine: str) -> None:
    """What tests/test_index.py checks of Whoosh's refresh, through the protocol on both engines."""
    import os

    from kb.search.engines import open_engine

    (small_kb / "kb.yaml").write_text(f"engine: {engine}\n")
    claims = small_kb / "claims" / "testorg2020study.yaml"

    def edit(path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))

    def build():  # -> RefreshReport
        return open_engine(small_kb).build()

    assert build().rebuilt
    edit(claims, "Children who go missing are at greater risk", "Children who run away are at greater risk")
    report = build()
    assert (report.indexed, report.removed, report.files_parsed, report.rebuilt) == (1, 0, 1, False)
    assert search_ids(small_kb, '"run away"') == ["tst-0003"]
    assert "tst-0003" not in search_ids(small_kb, "statement:missing")
    edit(small_kb / "sources" / "references.bib", "author      = {Jago, S. and others}",
         "author      = {Smithson, S. and others}")
    assert search_ids(small_kb, "source:smithson") == ["tst-0002"] and search_ids(small_kb, "source:jago") == []
    text = claims.read_text(encoding="utf-8")
    edit(claims, text[text.index("- id: tst-0003"):text.index("- id: tst-0004")], "")
    report = build()
    assert report.removed == 1 and report.claims == 6
    (small_kb / "claims" / "more.yaml").write_text(
        "document: testorg2020study\nclaims:\n- id: tst-0100\n  statement: A brand new zebra claim.\n"
        "  kind: finding\n  quote: zebra\n  section: Foreword\n", encoding="utf-8")
    assert search_ids(small_kb, "zebra") == ["tst-0100"]
    assert open_engine(small_kb).build().claims == 7
