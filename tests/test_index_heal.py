"""An index that heals: damaged files, damaged manifests, races with writers and deleters,
a full disk, orphaned build workers, leftover generations, numbers beyond a float.

Several tests run real concurrent processes (a rebuilding loop, an ``rm -rf`` loop, a
killed ``kb index``), the others damage real files of a real index.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kb.search import index as kbindex
from kb.search.documents import index_numbers
from kb.search.index import current_generation
from kb.search.engines.whoosh import WhooshSession
from kb.search.query import parse
from kb.search.searcher import _run, run_search, search_ids

ROOT = Path(__file__).resolve().parent.parent


def idx(root: Path) -> Path:
    return root / "index"


def flip(path: Path, offset: int) -> bytes:
    data = path.read_bytes()
    damaged = bytearray(data)
    damaged[offset] ^= 0x10
    path.write_bytes(bytes(damaged))
    return data


def segment(root: Path) -> Path:
    gen = current_generation(idx(root))
    return next(p for p in gen.whoosh_dir.iterdir() if p.suffix == ".seg")


def test_bit_flipped_segment_is_detected_and_rebuilt(heals, small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    seg = segment(small_kb)
    flip(seg, seg.stat().st_size // 2)
    heals(small_kb, "fails its checksum")


def test_kb_index_checks_every_file(run, small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    search_ids(small_kb, "missing")
    monkeypatch.setattr(kbindex, "VERIFY_BYTES", 0)  # searches skip the check: kb index still reads all
    seg = segment(small_kb)
    flip(seg, seg.stat().st_size // 3)
    r = run("--kb", small_kb, "index")
    assert r.exit_code == 0, r.stderr
    assert "fails its checksum" in r.stderr and "rebuilding it" in r.stderr
    assert "7 claims; built from 1 claim file(s)" in r.stdout  # not "0 re-indexed"


def test_a_read_that_fails_heals_the_index(bundled_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the open-time check off (a big index), a damaged segment surfaces as an error of
    the search itself (zlib, struct ...): the read is verified, the index rebuilt, the search run again."""
    monkeypatch.setattr(kbindex, "VERIFY_BYTES", 0)
    query = "children OR exploitation OR young"  # reads the stored fields of most claims
    expected = search_ids(bundled_kb, query)
    gen = current_generation(idx(bundled_kb))
    seg = segment(bundled_kb)
    size = seg.stat().st_size
    for offset in range(size // 100, size, size // 97):  # find a flip that breaks a read (most are silent)
        original = flip(seg, offset)
        try:
            ix = gen.open(verify=False)
            try:
                with ix.searcher() as searcher:
                    _run(WhooshSession(ix, searcher), query, parse(query), limit=None, facets=("kind",))
            finally:
                ix.close()
        except Exception:  # noqa: BLE001 (whichever error Whoosh raises on this damage)
            break
        seg.write_bytes(original)
    else:
        pytest.skip("no single bit flip broke a read of this index")
    notices: list[str] = []
    outcome = run_search(bundled_kb, query, limit=None, facets=("kind",), notice=notices.append)
    assert [h.id for h in outcome.hits] == expected
    assert len(notices) == 1 and "rebuilding it" in notices[0]
    assert current_generation(idx(bundled_kb)).path != gen.path


@pytest.mark.parametrize("damage", [b"\xff\xfe\x00\x81", b"g-\xc3\x28\n", b""])
def test_binary_or_empty_current_is_rebuilt(run, small_kb: Path, damage: bytes) -> None:
    search_ids(small_kb, "missing")
    (idx(small_kb) / "CURRENT").write_bytes(damage)
    r = run("--kb", small_kb, "search", "missing")
    assert r.exit_code == 0 and r.stdout.startswith("tst-0003")
    assert "Traceback" not in r.stderr and "rebuilding it" in r.stderr


@pytest.mark.parametrize("manifest, text", [
    ("stats.json", "[]"),
    ("stats.json", '{"schema": 4, "docs": 7, "files": 5}'),
    ("stats.json", '{"schema": 4, "docs": "7", "files": {}}'),
    ("stats.json", '{"schema": 4, "docs": 7, "files": {"claims/x.yaml": "big"}}'),
    ("state.json", "[1, 2]"),
    ("state.json", '{"files": {"claims/testorg2020study.yaml": ["tst-0001"]}, "sources": {}}'),
    ("state.json", '{"files": {}, "sources": []}'),
])
def test_manifest_of_the_wrong_shape_is_rebuilt(run, small_kb: Path, manifest: str, text: str) -> None:
    search_ids(small_kb, "missing")
    gen = current_generation(idx(small_kb))
    (gen.path / manifest).write_text(text, encoding="utf-8")
    claims = small_kb / "claims" / "testorg2020study.yaml"
    os.utime(claims, ns=(claims.stat().st_atime_ns, claims.stat().st_mtime_ns + 10**9))  # force an update
    r = run("--kb", small_kb, "search", "missing")
    assert r.exit_code == 0 and r.stdout.startswith("tst-0003"), r.stderr
    assert "Traceback" not in r.stderr and "unreadable" in r.stderr and "rebuilding it" in r.stderr


def test_full_disk_during_an_update_searches_in_memory(run, small_kb: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    search_ids(small_kb, "missing")
    claims = small_kb / "claims" / "testorg2020study.yaml"
    claims.write_text(claims.read_text(encoding="utf-8").replace("go missing", "vanish", 1), encoding="utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(kbindex, "update", full)
    r = run("--kb", small_kb, "search", "vanish")
    assert r.exit_code == 0 and r.stdout.startswith("tst-0003")
    assert "No space left on device" in r.stderr and "in memory" in r.stderr
    r = run("--kb", small_kb, "index")
    assert r.exit_code == 2 and r.stderr.startswith("Error: cannot write the search index")
    assert "No space left on device" in r.stderr
    monkeypatch.undo()
    assert search_ids(small_kb, "vanish") == ["tst-0003"]  # the old generation was left intact


def test_leftover_generations_are_cleaned_at_the_next_run(small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    live = current_generation(idx(small_kb)).path
    stray = idx(small_kb) / "g-20200101T000000-1-1"  # as a killed build leaves it
    (stray / "whoosh").mkdir(parents=True)
    (stray / "whoosh" / "MAIN_x.seg").write_bytes(b"half")
    assert search_ids(small_kb, "missing") == ["tst-0003"]
    assert sorted(idx(small_kb).glob("g-*")) == [live]


def _loop(code: str, root: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), str(root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_searches_racing_rebuilds_and_rm_rf(small_kb: Path) -> None:
    search_ids(small_kb, "missing")
    rebuilder = _loop("""
        import sys, time
        from pathlib import Path
        from kb.search.index import index_command
        from kb.errors import KbError
        root = Path(sys.argv[1])
        end = time.time() + 6
        while time.time() < end:
            try:
                index_command(root, root / "index", rebuild_all=True, notice=lambda m: None)
            except KbError:
                pass
    """, small_kb)
    deleter = _loop("""
        import shutil, sys, time
        from pathlib import Path
        root = Path(sys.argv[1])
        end = time.time() + 6
        while time.time() < end:
            shutil.rmtree(root / "index", ignore_errors=True)
            time.sleep(0.15)
    """, small_kb)
    results = []
    try:
        deadline = time.time() + 5
        while time.time() < deadline:
            results.append(search_ids(small_kb, "missing", ))
    finally:
        rebuilder.wait(30)
        deleter.wait(30)
    assert len(results) >= 5
    assert all(r == ["tst-0003"] for r in results)
    assert rebuilder.returncode == 0, rebuilder.stderr.read().decode()
    assert search_ids(small_kb, "missing") == ["tst-0003"]


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_build_workers_end_with_their_parent(tmp_path: Path) -> None:
    base = tmp_path / "big"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_corpus.py"), "--claims", "3000", str(base)],
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KB_INDEX_PROCS": "2"}
    parent = subprocess.Popen([sys.executable, "-c", "from kb.cli import main; main()", "--kb", str(base),
                               "index", "--rebuild"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.time() + 60
    while time.time() < deadline and len(workers) < 2 and parent.poll() is None:
        workers = _children(parent.pid)
        time.sleep(0.05)
    if len(workers) < 2:
        parent.wait(60)
        pytest.skip("the build finished before its workers could be seen")
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(10)
    deadline = time.time() + 3  # a worker left alone would finish its share of files first
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() and _state(w) != "Z" for w in workers):
        time.sleep(0.1)
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and _state(w) != "Z"]
    # and the next run cleans the half-built generation and builds a good one
    assert search_ids(base, "exploitation", limit=1)
    assert len(list((base / "index").glob("g-*"))) == 1


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


@pytest.mark.parametrize("value", ["1" + "0" * 400, "-1" + "0" * 400, ".inf", "-.inf", ".nan", "1e400"])
def test_numbers_beyond_a_float_never_crash(run, small_kb: Path, value: str) -> None:
    """The loader refuses such a value (exit 2 naming the claim); nothing crashes on the way."""
    claims = small_kb / "claims" / "testorg2020study.yaml"
    text = claims.read_text(encoding="utf-8")
    assert "value: 1190," in text
    claims.write_text(text.replace("value: 1190,", f"value: {value},", 1), encoding="utf-8")
    for query in ("missing", "value:>1000", f"value:>={value.lstrip('.')}", "young people"):
        r = run("--kb", small_kb, "search", query)
        assert r.exit_code == 2 and "Traceback" not in r.stderr, (query, r.stderr)
        refused = r.stderr.startswith("Error: invalid claim: field 'quantities.0.value'") and "tst-0001" in r.stderr
        assert refused or r.stderr.startswith("Error: cannot parse the query"), r.stderr  # 'value:>=nan'...
    r = run("--kb", small_kb, "index", "--rebuild")
    assert r.exit_code == 2 and "quantities.0.value" in r.stderr


def test_index_numbers() -> None:
    assert index_numbers([1, 2.5, 10**400, -(10**400), float("nan"), "x", None]) == [
        1.0, 2.5, float("inf"), float("-inf")]
