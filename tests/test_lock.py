"""kb.store.lock: one writer at a time, bounded waits, no stale lock after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kb.errors import WriteError
from kb.store.lock import EDIT_LOCK_TIMEOUT, LockBusy, NotWritable, base_lock, edit_lock_timeout, file_lock

ROOT = Path(__file__).resolve().parent.parent


def hold_in_child(lock: Path, ready: Path) -> subprocess.Popen:
    """A process that takes ``lock`` with file_lock, says so in ``ready``, then sleeps."""
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from kb.store.lock import file_lock
        with file_lock(Path({str(lock)!r}), timeout=5, busy="busy"):
            Path({str(ready)!r}).write_text("held")
            time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 20
    while not ready.exists():
        assert time.monotonic() < deadline and child.poll() is None, "the child never took the lock"
        time.sleep(0.02)
    return child


def test_a_held_lock_makes_others_wait_then_fail(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    with file_lock(lock, timeout=1, busy="busy"):
        started = time.monotonic()
        with pytest.raises(LockBusy, match="busy") as caught:
            with file_lock(lock, timeout=0.3, busy="busy"):
                pass
        assert time.monotonic() - started >= 0.3
    assert caught.value.exit_code == 2
    with file_lock(lock, timeout=0, busy="busy"):  # released: free at once
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    child = hold_in_child(lock, tmp_path / "ready")
    try:
        with pytest.raises(LockBusy):
            with file_lock(lock, timeout=0.2, busy="busy"):
                pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with file_lock(lock, timeout=2, busy="busy"):
        pass


def test_unwritable_place_is_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_open = builtins.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    with pytest.raises(NotWritable):
        with file_lock(tmp_path / ".lock", timeout=1, busy="busy"):
            pass
    with pytest.raises(WriteError, match="it is not writable"):
        with base_lock(tmp_path):
            pass


@pytest.mark.parametrize("value, expected", [("0.5", 0.5), ("0", 0.0), ("", EDIT_LOCK_TIMEOUT),
                                             ("soon", EDIT_LOCK_TIMEOUT), ("-1", EDIT_LOCK_TIMEOUT),
                                             ("nan", EDIT_LOCK_TIMEOUT), ("inf", EDIT_LOCK_TIMEOUT)])
def test_edit_lock_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, expected: float) -> None:
    monkeypatch.setenv("KB_EDIT_LOCK_TIMEOUT", value)
    assert edit_lock_timeout() == expected


def test_base_lock_uses_the_environment_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_EDIT_LOCK_TIMEOUT", "0.1")
    with base_lock(tmp_path):
        with pytest.raises(LockBusy, match=f"editing the knowledge base {tmp_path}"):
            with base_lock(tmp_path):
                pass
    assert (tmp_path / ".kb.lock").is_file()
