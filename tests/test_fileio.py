"""Atomic writes (the old file or the new one, never half, never a stray temp file) and -o targets of every kind."""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from pathlib import Path

import pytest

from kb.errors import WriteError
from kb.store.fileio import atomic_write_bytes, atomic_write_text, real_target, write_output


def test_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write_text(target, "new")
    assert target.stat().st_mode & 0o777 == 0o640


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="does not exist"):
        atomic_write_text(tmp_path / "no" / "out.txt", "x")


def test_read_only_directory_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated, so that it also holds when the tests run as root."""
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(WriteError, match="Permission denied"):
        atomic_write_text(tmp_path / "out.txt", "x")
    assert list(tmp_path.iterdir()) == []


def test_interrupted_replace_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_disk_full_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteError, match="No space left"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


# --- targets of every kind: the link stays a link, a FIFO stays a FIFO ---------------------------


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "dir" / "real.txt"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(Path("dir") / "real.txt")  # relative, as people make them
    chain = tmp_path / "chain.txt"
    chain.symlink_to(link)
    atomic_write_text(chain, "new")
    assert chain.is_symlink() and link.is_symlink() and os.readlink(link) == "dir/real.txt"
    assert real.read_text() == "new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.txt"]  # the temp file was beside the target
    assert real_target(chain) == real.resolve()


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "missing.txt")
    write_output(link, "data")
    assert link.is_symlink() and (tmp_path / "missing.txt").read_text() == "data"


def test_write_output_into_a_fifo_keeps_the_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_output(fifo, "through the pipe\n")
    reader.join(10)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_write_output_through_a_symlink_to_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "out.md"
    link.symlink_to(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_output(link, b"x")
    reader.join(10)
    assert received == [b"x"] and link.is_symlink() and stat.S_ISFIFO(fifo.lstat().st_mode)


def test_dev_null_stays_a_character_device() -> None:
    write_output(Path("/dev/null"), "discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_device_is_a_clear_error() -> None:
    with pytest.raises(WriteError, match="No space left on device"):
        write_output(Path("/dev/full"), "x" * 100_000)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_stdout_dash(capfd: pytest.CaptureFixture[str]) -> None:
    write_output("-", "to stdout\n")
    assert capfd.readouterr().out == "to stdout\n"


def test_a_read_only_file_is_refused_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(0o444)
    for write in (lambda: write_output(target, "new"), lambda: atomic_write_text(target, "new")):
        with pytest.raises(WriteError, match="the file is read-only") as caught:
            write()
        assert caught.value.exit_code == 2
    assert target.read_text() == "old" and target.stat().st_mode & 0o777 == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="it is a directory"):
        write_output(tmp_path, "x")
    with pytest.raises(WriteError, match="not a regular file"):
        atomic_write_bytes(tmp_path, b"x")


def test_atomic_write_refuses_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(WriteError, match="not a regular file"):
        atomic_write_text(fifo, "x")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_enospc_while_writing_leaves_the_old_file_and_no_temp_file(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills during the write itself (not only at fsync)."""
    target = tmp_path / "out.txt"
    target.write_text("old")
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode="r", *a, **k: Full(real_fdopen(fd, mode, *a, **k)))
    with pytest.raises(WriteError, match="No space left on device.*disk has room"):
        write_output(target, "new" * 1000)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
