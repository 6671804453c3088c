"""Advisory file locks: the one mechanism behind the index's writer lock and the base's write lock.

A lock is an ``flock`` on a small file; it is released when the holder closes the
file or dies (a SIGKILLed holder never leaves a stale lock). Waiting is bounded:
past ``timeout`` seconds the caller gets :class:`LockBusy` (exit 2) and nothing
has been written.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import WriteError

EDIT_LOCK_TIMEOUT = 10.0
"""Seconds an edit of a claims file waits for another edit of the same base (``$KB_EDIT_LOCK_TIMEOUT``)."""


def edit_lock_timeout() -> float:
    """``$KB_EDIT_LOCK_TIMEOUT`` (read at each edit) when it is a number >= 0, else :data:`EDIT_LOCK_TIMEOUT`."""
    try:
        value = float(os.environ.get("KB_EDIT_LOCK_TIMEOUT", ""))
    except ValueError:
        return EDIT_LOCK_TIMEOUT
    return value if value >= 0 and value == value and value != float("inf") else EDIT_LOCK_TIMEOUT

BASE_LOCK_NAME = ".kb.lock"
"""The base's write lock, at its root; every edit of a claims file holds it."""


class LockBusy(WriteError):
    """Another process holds the lock for longer than we wait."""


class NotWritable(Exception):
    """The lock file's directory cannot be written (a read-only base or file system)."""


def writable_error(exc: OSError) -> bool:
    """Whether ``exc`` means 'this place cannot be written' (permissions, read-only file system)."""
    return exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)


@contextmanager
def file_lock(lock_path: Path, *, timeout: float, busy: str, busy_hint: str = "") -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if need be); wait up to ``timeout`` seconds.

    ``busy`` is the message of the :class:`LockBusy` raised when the wait runs out.
    Raises :class:`NotWritable` when the lock file cannot be created for lack of permission.
    """
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")
    except OSError as exc:
        if writable_error(exc):
            raise NotWritable(str(exc)) from exc
        raise WriteError(f"cannot use the lock file {lock_path}: {exc.strerror or exc}",
                         hint="check the path") from exc
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory lock; one writer is assumed
            fcntl = None
        if fcntl is not None:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockBusy(busy, hint=busy_hint or f"waited {timeout:g} s; try again when it finishes") \
                            from None
                    time.sleep(0.02)
        yield
    finally:
        handle.close()  # releases the lock


@contextmanager
def base_lock(root: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the write lock of the base at ``root`` (every edit of a claims file takes it)."""
    wait = edit_lock_timeout() if timeout is None else timeout
    try:
        with file_lock(root / BASE_LOCK_NAME, timeout=wait,
                       busy=f"another kb process is editing the knowledge base {root}",
                       busy_hint=f"waited {wait:g} s; nothing was written; try again when it finishes"):
            yield
    except NotWritable as exc:
        raise WriteError(f"cannot edit the knowledge base {root}: it is not writable ({exc})",
                         hint="edit a writable copy, or fix the permissions") from None
