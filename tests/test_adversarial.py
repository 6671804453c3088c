"""kb under attack: races, crashes, full disks, hostile files and queries (issue 9).

Every test here failed on the code before the fixes it names, or guards a guarantee
the README's "Reliability" section makes. Fuzzing goes through the real CLI: every
outcome is exit 0, 1 or 2, never a traceback, and no file of the base changes.
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ROOT, SMALL_KB, copy_kb
from kb.cli import app
from kb.store import locate
from kb.store.loader import load_claim_file, load_kb
from kb.store.lock import base_lock

CLAIMS = Path("claims/testorg2020study.yaml")
FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def kb_cmd(*args: object) -> list[str]:
    return [sys.executable, "-c", "from kb.cli import main; main()", *map(str, args)]


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KB_DIR"}
    return {**env, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "XDG_CACHE_HOME": str(tmp_path / "cache"), **extra}


def base_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file of the base but its index and lock."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "index" not in p.relative_to(root).parts
            and p.name != ".kb.lock"}


def invoke(*args: object, env: dict[str, str] | None = None):
    """Run kb in-process; any exception but SystemExit (a traceback) fails the test."""
    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"kb {' '.join(map(str, args))} raised {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1, 2), result
    assert "Traceback" not in result.stdout + result.stderr
    return result


# --- lost reviews: concurrent edits serialise ------------------------------------------------


def test_six_concurrent_reviews_of_one_file_are_all_kept(small_kb: Path, tmp_path: Path) -> None:
    """Before: each kb review read, edited and wrote the file unlocked; 2 of 6 reviews were lost."""
    ids = [f"tst-000{i}" for i in range(1, 7)]
    env = child_env(tmp_path)
    procs = [subprocess.Popen(kb_cmd("--kb", small_kb, "review", claim_id, "--status", "verified", "--by", claim_id),
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for claim_id in ids]
    results = [(p.wait(120), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0] * 6, results
    kb = load_kb(small_kb)
    assert {c.id: (c.status, c.review.by) for c in kb if c.review} == {i: ("verified", i) for i in ids}
    assert kb.claim("tst-0007").review is None


def test_an_edit_that_waits_too_long_fails_and_writes_nothing(run, small_kb: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    before = base_hashes(small_kb)
    monkeypatch.setenv("KB_EDIT_LOCK_TIMEOUT", "0.2")
    with base_lock(small_kb):
        r = run("--kb", small_kb, "review", "tst-0001", "--status", "verified", "--by", "R")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: another kb process is editing the knowledge base {small_kb.resolve()}; "
                               "waited 0.2 s; nothing was written")
    assert base_hashes(small_kb) == before


# --- the bundled copy is read-only ------------------------------------------------------------


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A simulated non-editable install: the package in site-packages with its base in kb/_bundled."""
    package = tmp_path / "site-packages" / "kb"
    package.mkdir(parents=True)
    bundled = copy_kb(SMALL_KB, package / "_bundled")
    shutil.rmtree(bundled / "index")
    monkeypatch.setattr(locate, "PACKAGE_DIR", package)
    return bundled


def test_review_refuses_the_installed_bundled_base(run, installed: Path) -> None:
    """Before: kb review edited the copy in site-packages, which the next upgrade wipes."""
    before = base_hashes(installed)
    r = run("review", "tst-0001", "--status", "verified", "--by", "R")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: the bundled knowledge base {installed} is read-only")
    assert "kb init DIR" in r.stderr and "cp -r" in r.stderr
    assert base_hashes(installed) == before
    assert sorted(p.name for p in installed.iterdir()) == ["claims", "sources"]  # not even a lock file
    assert run("search", "missing").exit_code == 0  # reading it still works (index in the user cache)
    assert base_hashes(installed) == before


def test_the_checkout_is_the_developers_base_and_stays_editable() -> None:
    from kb.store.edit import refuse_bundled

    refuse_bundled(locate.bundled_root())  # the repository checkout: no error


# --- output that respects its target ----------------------------------------------------------


def test_export_to_a_fifo_keeps_the_fifo(run, small_kb: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = run("--kb", small_kb, "export", "--format", "jsonl", "-o", fifo)
    if r.exit_code != 0:
        with open(fifo, "wb"):  # release the reader
            pass
    reader.join(10)
    assert r.exit_code == 0, r
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and got and b"tst-0001" in got[0]


def test_export_to_dev_null_keeps_the_device(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export", "--format", "csv", "-o", "/dev/null")
    assert r.exit_code == 0, r
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_export_through_a_symlink_keeps_the_link(run, small_kb: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    r = run("--kb", small_kb, "export", "--format", "markdown", "-o", link)
    assert r.exit_code == 0, r
    assert link.is_symlink() and "Test Organisation" in target.read_text()


def test_export_refuses_a_read_only_file(run, small_kb: Path, tmp_path: Path) -> None:
    target = tmp_path / "facts.csv"
    target.write_text("keep me")
    target.chmod(0o444)
    r = run("--kb", small_kb, "export", "--format", "csv", "-o", target)
    assert r.exit_code == 2 and r.stderr.startswith(f"Error: cannot write {target}: the file is read-only")
    assert target.read_text() == "keep me"


# --- no control sequence from a base reaches the terminal ---------------------------------------


HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\r\x9b1m\u202eevil"


def hostile_base(small_kb: Path) -> Path:
    path = small_kb / CLAIMS
    text = path.read_text()
    text = text.replace("  section: Foreword\n", f"  section: \"Foreword {HOSTILE.encode('unicode_escape').decode()}\"\n")
    path.write_text(text)
    assert load_kb(small_kb).claim("tst-0001").section.endswith("evil")
    return small_kb


def assert_terminal_safe(text: str) -> None:
    bad = [c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f or c == "\u202e"]
    assert bad == [], repr(text)


def test_show_escapes_control_characters(run, small_kb: Path) -> None:
    hostile_base(small_kb)
    r = run("--kb", small_kb, "show", "tst-0001")
    assert r.exit_code == 0
    assert_terminal_safe(r.stdout)
    assert "Foreword \\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred\\x0d\\x9b1m\\u202eevil" in r.stdout


def test_show_json_escapes_c1_controls(run, small_kb: Path) -> None:
    hostile_base(small_kb)
    r = run("--kb", small_kb, "show", "tst-0001", "--json")
    assert r.exit_code == 0
    assert_terminal_safe(r.stdout)
    import json

    assert json.loads(r.stdout)["section"].endswith(HOSTILE)  # still the data, exactly


def test_error_lines_escape_control_characters(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "show", "tst-\x1b[2J0001")
    assert r.exit_code == 2
    assert_terminal_safe(r.stderr)
    assert r.stderr.startswith("Error: no claim with id 'tst-\\x1b[2J0001'")
    (small_kb / "claims" / "evil\x1b[2J.yaml").write_text("document: [unclosed\n")
    r = run("--kb", small_kb, "stats")
    assert r.exit_code == 2 and r.stderr.startswith("Error: invalid YAML")
    assert_terminal_safe(r.stderr)
    assert "evil\\x1b[2J.yaml" in r.stderr


def test_verify_escapes_control_characters(run, small_kb: Path) -> None:
    hostile_base(small_kb)
    path = small_kb / CLAIMS
    path.write_text(path.read_text().replace('  quote: "children who go missing are at greater risk of exploitation"',
                                             '  quote: "children who go \\e[2Jmissing"', 1))
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 1 and "“children who go \\x1b[2Jmissing” is not in" in r.stdout
    assert_terminal_safe(r.stdout + r.stderr)


def test_verify_fatal_lines_escape_control_characters(run, small_kb: Path) -> None:
    (small_kb / "claims" / "evil\x1b[2J.yaml").write_text("document: [unclosed\n")
    r = run("--kb", small_kb, "verify")
    assert r.exit_code == 2 and r.stderr.startswith("Error: invalid YAML")
    assert_terminal_safe(r.stdout + r.stderr)


def test_console_escapes_styled_text_and_keeps_its_styles(capsys: pytest.CaptureFixture[str]) -> None:
    from rich.text import Text

    from kb.cli.common import _safe_renderable, console

    text = Text("hit: ")
    text.append(f"going {HOSTILE} missing", style="bold yellow")
    console().print(text)
    out = capsys.readouterr().out
    assert_terminal_safe(out)
    # rich's Text itself drops BEL and CR; the rest is shown escaped
    assert out == "hit: going \\x1b]0;owned\\x1b[2J\\x1b[31mred\\x9b1m\\u202eevil missing\n"
    safe = _safe_renderable(text)
    assert all(span.style == "bold yellow" for span in safe.spans)
    assert safe.spans[0].start == 5 and safe.spans[-1].end == len(safe.plain)


def test_search_output_escapes_control_characters(run, small_kb: Path) -> None:
    path = small_kb / CLAIMS
    path.write_text(path.read_text().replace(
        "  statement: >-\n    Children who go missing are at greater risk of exploitation.\n",
        '  statement: "Children who go missing \\e[2J are at greater risk of exploitation."\n', 1))
    assert "\x1b" in load_kb(small_kb).claim("tst-0003").statement
    r = run("--kb", small_kb, "search", "greater risk")
    assert r.exit_code == 0 and "tst-0003" in r.stdout
    assert_terminal_safe(r.stdout)


# --- error messages say where the value came from -------------------------------------------


def test_kb_dir_from_the_environment_is_named(run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Before: KB_DIR=/nonexistent kb stats said '(from --kb)'."""
    monkeypatch.setenv("KB_DIR", str(tmp_path / "nonexistent"))
    r = run("stats")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: knowledge base directory {tmp_path / 'nonexistent'} does not exist "
                               "(from KB_DIR)")
    r = run("--kb", tmp_path / "other", "stats")
    assert "(from --kb)" in r.stderr


def test_kb_pointing_at_a_file_says_so(run, small_kb: Path) -> None:
    """Before: --kb FILE said the directory 'does not exist'."""
    r = run("--kb", small_kb / CLAIMS, "stats")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: {small_kb / CLAIMS} is a file, not a knowledge base directory (from --kb)")


# --- fuzzing through the CLI --------------------------------------------------------------------


_SMALL_CLAIMS = (SMALL_KB / CLAIMS).read_text()
_SMALL_BIB = (SMALL_KB / "sources" / "references.bib").read_text()
_NASTY = st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>'\"#%@`,?\\\n\t ~^()\x1b\x00\u2028\ufeffaZ09é.")),
                 max_size=40)


@st.composite
def mutated(draw, text: str):
    """``text`` with a few lines replaced, deleted, duplicated or spliced with nasty characters."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["replace", "delete", "duplicate", "splice", "indent"]))
        if action == "replace":
            lines[i] = draw(_NASTY) + "\n"
        elif action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "splice":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(_NASTY) + lines[i][at:]
        else:
            lines[i] = "  " + lines[i]
    return "".join(lines)


def fresh_small(tmp: str) -> Path:
    return copy_kb(SMALL_KB, Path(tmp) / "kb")


@FUZZ
@given(text=mutated(_SMALL_CLAIMS))
def test_fuzzed_claim_files(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = fresh_small(tmp)
        (root / CLAIMS).write_text(text, encoding="utf-8", errors="surrogatepass")
        before = base_hashes(root)
        for args in (["verify"], ["show", "tst-0002"], ["stats"], ["export", "--format", "json"]):
            invoke("--kb", root, *args)
            assert base_hashes(root) == before, args
        r = invoke("--kb", root, "review", "tst-0002", "--status", "disputed", "--by", "F", "--note", "fuzz")
        if r.exit_code != 0:
            assert base_hashes(root) == before
            assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1
        else:
            claims, _, problems = load_claim_file(root / CLAIMS)
            assert [c.review.note for c in claims if c.id == "tst-0002"] == ["fuzz"]


@FUZZ
@given(text=mutated(_SMALL_BIB))
def test_fuzzed_bibtex_files(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = fresh_small(tmp)
        (root / "sources" / "references.bib").write_text(text, encoding="utf-8", errors="surrogatepass")
        before = base_hashes(root)
        for args in (["verify"], ["sources"], ["show", "tst-0002", "--context"], ["export", "--format", "ris"]):
            invoke("--kb", root, *args)
            assert base_hashes(root) == before, args


@pytest.fixture(scope="module")
def indexed_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_kb(SMALL_KB, tmp_path_factory.mktemp("q") / "kb")
    assert invoke("--kb", root, "index").exit_code == 0
    return root


@FUZZ
@given(query=st.text(alphabet=st.sampled_from(list(':"*?~^()[]{}-+!&|/\\<>= \t\x1bANDORNOTTO'
                                                     "kindplacetopicstatusyearvalue0123456789missing")),
                     min_size=1, max_size=40))
def test_fuzzed_queries(indexed_small: Path, query: str) -> None:
    before = base_hashes(indexed_small)
    r = invoke("--kb", indexed_small, "search", query)
    if r.exit_code == 2:
        assert r.stderr.startswith("Error: ")
    assert_terminal_safe(r.stderr)
    assert base_hashes(indexed_small) == before


# --- several processes building the index at once ---------------------------------------------


def test_concurrent_index_builds_agree(small_kb: Path, tmp_path: Path) -> None:
    shutil.rmtree(small_kb / "index")
    env = child_env(tmp_path)
    procs = [subprocess.Popen(kb_cmd("--kb", small_kb, "search", "exploitation", "--json"), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [(p.wait(120), *p.communicate()) for p in procs]
    assert [code for code, _, _ in outs] == [0] * 4, outs
    assert len({out for _, out, _ in outs}) == 1
    r = invoke("--kb", small_kb, "index")
    assert r.exit_code == 0 and ": 7 claims;" in r.stdout


# --- SIGKILL in the middle of work --------------------------------------------------------------


@pytest.mark.parametrize("delay", [0.4, 0.8])
def test_sigkill_during_an_index_rebuild_leaves_a_usable_base(bundled_kb: Path, tmp_path: Path, delay: float) -> None:
    env = child_env(tmp_path)
    assert subprocess.run(kb_cmd("--kb", bundled_kb, "index"), env=env, capture_output=True).returncode == 0
    before = base_hashes(bundled_kb)
    proc = subprocess.Popen(kb_cmd("--kb", bundled_kb, "index", "--rebuild"), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = invoke("--kb", bundled_kb, "search", "going missing")
    assert r.exit_code == 0 and "ctf-" in r.stdout
    assert invoke("--kb", bundled_kb, "verify").exit_code == 0
    assert base_hashes(bundled_kb) == before


def test_sigkill_while_holding_the_edit_lock(small_kb: Path, tmp_path: Path) -> None:
    """The killed editor wrote nothing and left no lock behind: the next review goes through at once."""
    before = base_hashes(small_kb)
    ready = tmp_path / "ready"
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from kb.store.edit import edit_claim
        def mutate(item):
            item["section"] = "half-done"
            Path({str(ready)!r}).write_text("in the edit")
            time.sleep(60)
        edit_claim(Path({str(small_kb)!r}), Path({str(small_kb / CLAIMS)!r}), "tst-0001", mutate)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], env=child_env(tmp_path))
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert base_hashes(small_kb) == before
    r = invoke("--kb", small_kb, "review", "tst-0001", "--status", "verified", "--by", "R",
               env={"KB_EDIT_LOCK_TIMEOUT": "1"})
    assert r.exit_code == 0, r.stderr
    assert load_kb(small_kb).claim("tst-0001").section == "Foreword"


def test_sigkill_during_a_stream_of_reviews(small_kb: Path, tmp_path: Path) -> None:
    """Killed at any moment, the claims file is the old one or the new one: it always loads."""
    code = textwrap.dedent(f"""
        from pathlib import Path
        from kb.provenance.review import record_review
        from kb.store.loader import load_kb
        kb = load_kb(Path({str(small_kb)!r}))
        Path({str(tmp_path / "ready")!r}).write_text("go")
        for i in range(10_000):
            record_review(kb, "tst-000" + str(i % 7 + 1), ("verified", "disputed")[i % 2], by="K", note=str(i))
    """)
    for delay in (0.1, 0.25, 0.4):
        (tmp_path / "ready").unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", code], env=child_env(tmp_path))
        deadline = time.monotonic() + 30
        while not (tmp_path / "ready").exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        claims, _, problems = load_claim_file(small_kb / CLAIMS)
        assert problems == [] and len(claims) == 7
    assert invoke("--kb", small_kb, "verify").exit_code in (0, 1)
    assert invoke("--kb", small_kb, "search", "missing").exit_code == 0


# --- a full disk on every write path -------------------------------------------------------------


class FullDisk:
    """Make every write of a file under ``under`` fail with ENOSPC after half of its first chunk."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, under: Path) -> None:
        self.under = str(under.resolve())
        self.real_open = builtins.open
        self.real_fdopen = os.fdopen
        self.hits = 0
        monkeypatch.setattr(builtins, "open", self.open)
        monkeypatch.setattr(os, "fdopen", self.fdopen)

    def wrap(self, handle):
        disk = self

        class Full:
            def __getattr__(self, name):
                return getattr(handle, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                handle.close()

            def write(self, data):
                disk.hits += 1
                handle.write(data[: len(data) // 2])
                raise OSError(errno.ENOSPC, "No space left on device")

        return Full()

    def open(self, file, mode="r", *args, **kwargs):
        handle = self.real_open(file, mode, *args, **kwargs)
        writing = any(m in mode for m in "wax+")
        if writing and isinstance(file, (str, os.PathLike)) and os.path.abspath(file).startswith(self.under):
            return self.wrap(handle)
        return handle

    def fdopen(self, fd, mode="r", *args, **kwargs):
        handle = self.real_fdopen(fd, mode, *args, **kwargs)
        return self.wrap(handle) if any(m in mode for m in "wax+") else handle


def test_full_disk_during_a_review(run, small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = base_hashes(small_kb)
    FullDisk(monkeypatch, small_kb / "claims")
    r = run("--kb", small_kb, "review", "tst-0001", "--status", "verified", "--by", "R")
    monkeypatch.undo()
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: cannot write {small_kb.resolve() / CLAIMS}: No space left on device")
    assert base_hashes(small_kb) == before
    assert sorted(p.name for p in (small_kb / "claims").iterdir()) == [CLAIMS.name]


def test_full_disk_during_an_export(run, small_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "facts.md").write_text("old export")
    FullDisk(monkeypatch, out)
    r = run("--kb", small_kb, "export", "--format", "pandoc", "-o", out / "facts.md")
    monkeypatch.undo()
    assert r.exit_code == 2 and r.stderr.startswith("Error: cannot write") and "No space left" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["facts.md"]  # no companion, no temp file left
    assert (out / "facts.md").read_text() == "old export"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_export_to_dev_full(run, small_kb: Path) -> None:
    r = run("--kb", small_kb, "export", "--format", "csv", "-o", "/dev/full")
    assert r.exit_code == 2 and "No space left on device" in r.stderr
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def _index_usable_afterwards(root: Path) -> None:
    r = invoke("--kb", root, "search", "missing")
    assert r.exit_code == 0 and "tst-" in r.stdout
    assert invoke("--kb", root, "index").exit_code == 0
    assert invoke("--kb", root, "verify").exit_code in (0, 1)


def _full_disk_outcome(r) -> None:
    """Exit 2 with one Error line, or the results with a notice that the index could not be written."""
    if r.exit_code == 2:
        assert r.stderr.startswith("Error: ") and "No space left" in r.stderr
    else:
        assert r.exit_code == 0 and "tst-" in r.stdout and r.stderr.strip()


def _search_on_a_full_disk(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kb search while the index's disk is full: a clean outcome, the base untouched, usable afterwards."""
    before = base_hashes(root)
    disk = FullDisk(monkeypatch, root / "index")
    r = invoke("--kb", root, "search", "missing")
    monkeypatch.undo()
    assert disk.hits
    _full_disk_outcome(r)
    assert base_hashes(root) == before
    _index_usable_afterwards(root)


def test_full_disk_during_an_index_build(small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(small_kb / "index")
    _search_on_a_full_disk(small_kb, monkeypatch)


def test_full_disk_during_an_index_update(small_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.store.edit import append_claim

    assert invoke("--kb", small_kb, "index").exit_code == 0
    append_claim(small_kb, small_kb / CLAIMS, {"id": "tst-0008", "statement": "Going missing is a risk.",
                                                "kind": "finding", "quote": "children who go missing",
                                                "section": "Introduction"}, document="testorg2020study")
    _search_on_a_full_disk(small_kb, monkeypatch)
    assert "tst-0008" in invoke("--kb", small_kb, "search", "missing", "--json").stdout
