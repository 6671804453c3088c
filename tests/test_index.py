"""The index: incremental upkeep, rebuilds, safety (lock, corruption, interruption, read-only)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb.search import index as kbindex
from kb.errors import InvalidKnowledgeBase
from kb.search.index import (
    IndexBusy,
    current_generation,
    index_command,
    period_years,
    refresh,
)
from kb.search.searcher import search_ids

CLAIMS = Path("claims") / "testorg2020study.yaml"


def idx(root: Path) -> Path:
    return root / "index"


def edit(root: Path, old: str, new: str, path: Path = CLAIMS) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    st = file.stat()  # make sure the mtime moves even on coarse clocks
    os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_first_search_builds_and_later_ones_reuse(small_kb: Path) -> None:
    assert search_ids(small_kb, "missing") == ["tst-0003"]
    gen = current_generation(idx(small_kb))
    assert gen is not None and gen.stats["docs"] == 7
    assert {"CURRENT", ".lock", gen.path.name} <= {p.name for p in idx(small_kb).iterdir()}
    _, report = refresh(small_kb, idx(small_kb))
    assert (report.indexed, report.files_parsed, report.rebuilt) == (0, 0, False)


def test_editing_one_claim_reindexes_only_it(small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    edit(small_kb, "Children who go missing are at greater risk", "Children who run away are at greater risk")
    _, report = refresh(small_kb, idx(small_kb))
    assert (report.indexed, report.removed, report.files_parsed) == (1, 0, 1)
    assert search_ids(small_kb, '"run away"') == ["tst-0003"]
    assert "tst-0003" not in search_ids(small_kb, "statement:missing")


def test_edit_is_seen_by_the_next_search_without_kb_index(small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    edit(small_kb, "Children who go missing are at greater risk", "Children who abscond are at greater risk")
    assert search_ids(small_kb, "abscond") == ["tst-0003"]


def test_review_change_updates_status(small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    edit(small_kb, "  places: [UK]\n  topics: [missing, risk-indicators]\n",
         "  places: [UK]\n  topics: [missing, risk-indicators]\n  review:\n    status: disputed\n")
    assert search_ids(small_kb, "status:disputed") == ["tst-0003"]


def test_deleted_claim_and_deleted_file_are_removed(small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    text = (small_kb / CLAIMS).read_text(encoding="utf-8")
    start = text.index("- id: tst-0003")
    end = text.index("- id: tst-0004")
    edit(small_kb, text[start:end], "")
    _, report = refresh(small_kb, idx(small_kb))
    assert report.removed == 1 and report.claims == 6
    assert search_ids(small_kb, "missing") == []
    (small_kb / CLAIMS).unlink()
    _, report = refresh(small_kb, idx(small_kb))
    assert report.claims == 0


def test_new_claim_file_is_added(small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    (small_kb / "claims" / "more.yaml").write_text(
        "document: testorg2020study\nclaims:\n- id: tst-0100\n  statement: A brand new zebra claim.\n"
        "  kind: finding\n  quote: zebra\n  section: Foreword\n", encoding="utf-8")
    assert search_ids(small_kb, "zebra") == ["tst-0100"]


def test_bibliography_change_reindexes_citing_claims(small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    edit(small_kb, "author      = {Jago, S. and others}", "author      = {Smithson, S. and others}",
         Path("sources") / "references.bib")
    _, report = refresh(small_kb, idx(small_kb))
    assert report.indexed == 1 and report.files_parsed == 1
    assert search_ids(small_kb, "source:smithson") == ["tst-0002"]
    assert search_ids(small_kb, "source:jago") == []


def test_rebuild_swaps_in_a_new_generation(small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    old = current_generation(idx(small_kb))
    report = index_command(small_kb, idx(small_kb), rebuild_all=True)
    new = current_generation(idx(small_kb))
    assert report.rebuilt and report.claims == 7
    assert new.path != old.path and not old.path.exists()


def test_schema_change_rebuilds(small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    search_ids(small_kb, "missing")
    monkeypatch.setattr(kbindex, "SCHEMA_VERSION", kbindex.SCHEMA_VERSION + 1)
    _, report = refresh(small_kb, idx(small_kb))
    assert report.rebuilt


def test_interrupted_rebuild_leaves_the_old_index(small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    search_ids(small_kb, "missing")
    before = current_generation(idx(small_kb)).path

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(kbindex, "claim_document", boom)
    with pytest.raises(KeyboardInterrupt):
        index_command(small_kb, idx(small_kb), rebuild_all=True)
    monkeypatch.undo()
    assert current_generation(idx(small_kb)).path == before
    assert [p for p in idx(small_kb).glob("g-*")] == [before]
    assert search_ids(small_kb, "missing") == ["tst-0003"]


@pytest.mark.parametrize("damage", ["whoosh", "stats", "current", "toc"])
def test_corrupt_index_is_rebuilt_with_a_notice(run, heals, small_kb: Path, damage: str) -> None:
    search_ids(small_kb, "missing")
    gen = current_generation(idx(small_kb))
    if damage == "whoosh":
        for path in gen.whoosh_dir.glob("*.seg"):
            path.write_bytes(b"garbage")
    elif damage == "toc":
        for path in gen.whoosh_dir.glob("*.toc"):
            path.write_bytes(b"\x00" * 10)
    elif damage == "stats":
        (gen.path / "stats.json").write_text("{not json", encoding="utf-8")
    else:
        (idx(small_kb) / "CURRENT").write_text("../../etc\n", encoding="utf-8")
    heals(small_kb, "unreadable")


def test_second_writer_waits_then_fails_clearly(run, small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    search_ids(small_kb, "missing")
    edit(small_kb, "Children who go missing", "Children who vanish")
    import fcntl

    (idx(small_kb) / ".lock").touch()
    with open(idx(small_kb) / ".lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        # another process holds the lock: flock locks are per open file, so this blocks us too
        monkeypatch.setattr(kbindex, "LOCK_TIMEOUT", 0.3)
        with pytest.raises(IndexBusy):
            with kbindex._locked(idx(small_kb), timeout=0.3):
                pass
        r = run("--kb", small_kb, "index")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: the search index") and "another kb process" in r.stderr
    assert search_ids(small_kb, "vanish") == ["tst-0003"]  # unharmed, and refreshed once free


def test_read_only_base_searches_in_memory(run, small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(*args, **kwargs):
        raise kbindex._ReadOnly("[Errno 30] Read-only file system")

    monkeypatch.setattr(kbindex, "_locked", read_only)
    r = run("--kb", small_kb, "search", "missing")
    assert r.exit_code == 0 and r.stdout.startswith("tst-0003")
    assert "cannot be written (read-only)" in r.stderr and "in memory" in r.stderr
    r = run("--kb", small_kb, "index")
    assert r.exit_code == 2 and r.stderr.startswith("Error: cannot write the search index")
    assert not any(idx(small_kb).glob("g-*"))


def test_invalid_claim_file_is_a_clear_error(run, small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    (small_kb / "claims" / "broken.yaml").write_text("document: x\nclaims: [\n", encoding="utf-8")
    with pytest.raises(InvalidKnowledgeBase):
        search_ids(small_kb, "missing")
    r = run("--kb", small_kb, "search", "missing")
    assert r.exit_code == 2 and r.stderr.startswith("Error: invalid YAML") and "broken.yaml" in r.stderr
    (small_kb / "claims" / "broken.yaml").unlink()
    assert search_ids(small_kb, "missing") == ["tst-0003"]


def test_index_command_output(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "index", "--rebuild")
    assert r.exit_code == 0 and "7 claims; built from 1 claim file(s)" in r.stdout
    r = run("--kb", small_kb, "index")
    assert r.exit_code == 0 and "0 claim(s) re-indexed, 0 removed, 0 file(s) read" in r.stdout


def test_parallel_build_matches_serial(tmp_path: Path) -> None:
    from whoosh.index import create_in

    from benchmarks.make_corpus import generate

    root = tmp_path / "gen"
    generate(root, 700)
    built = {}
    for procs in (1, 2):
        folder = tmp_path / f"procs{procs}"
        folder.mkdir()
        ix = create_in(str(folder), kbindex.make_schema())
        state, words, count = kbindex._build_into(ix, root, kbindex.snapshot(root), None, procs=procs)
        with ix.searcher() as searcher:
            stored = sorted((f["id"], f["statement"]) for f in searcher.all_stored_fields())
        built[procs] = (state, words, count, stored)
    assert built[1] == built[2]
    assert built[2][2] == 700 and len(built[2][0]["files"]) == 3


@pytest.mark.parametrize("period, years", [("2010-11", [2010, 2011]), ("2009-2010", [2009, 2010]),
                                           ("March 2011", [2011]), ("2018-19 to 2019-20", [2018, 2019, 2020]),
                                           ("", [])])
def test_period_years(period: str, years: list[int]) -> None:
    assert period_years(period) == years
