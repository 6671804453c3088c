"""Writing files safely.

Two ways to write, both used everywhere a file is written:

- :func:`atomic_write_text` / :func:`atomic_write_bytes` for files kb owns (claims,
  index manifests, export outputs): a temporary file beside the target, fsync,
  then ``os.replace``, so readers see the old file or the new one, never half. A
  symlink is written *through* (its target is replaced, the link stays); a
  read-only file is refused; a target that is not a regular file is refused.
- :func:`write_output` for a user's ``-o``: ``-`` is stdout; a FIFO, character
  device or other non-regular file is written into directly (no temp file, no
  replace); a symlink writes through to its target; a regular file is replaced
  atomically only when it is writable.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from kb.errors import WriteError


def real_target(path: Path) -> Path:
    """The file a write to ``path`` should change: a symlink's final target, else ``path`` itself."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def read_only(st: os.stat_result, path: Path) -> bool:
    """Whether the file ``path`` (of stat ``st``) must not be written.

    A file without write permission bits is read-only, even to root (who could write it).
    """
    return not st.st_mode & 0o222 or not os.access(path, os.W_OK)


def refuse_unwritable(path: Path, target: Path) -> None:
    """Raise WriteError when ``target`` (what a write to ``path`` changes) exists and is not a writable regular file."""
    try:
        st = target.stat()
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}", hint="check the path") from exc
    if not stat.S_ISREG(st.st_mode):
        raise WriteError(f"cannot write {path}: it is not a regular file", hint="choose a file path")
    if read_only(st, target):
        raise WriteError(f"cannot write {path}: the file is read-only",
                         hint="make it writable (chmod u+w) or choose another path")


def atomic_write_text(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    target = real_target(path)
    refuse_unwritable(path, target)
    directory = target.parent
    if not directory.is_dir():
        raise WriteError(f"cannot write {path}: the directory {directory} does not exist",
                         hint="create it first or choose another path")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}",
                         hint="check the directory is writable") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise WriteError(f"cannot write {path}: {exc.strerror or exc}",
                             hint="check the path is writable and the disk has room") from exc
        raise


def is_stdout(path: Path | str) -> bool:
    return str(path) == "-"


def write_output(path: Path | str, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Write a user's ``-o`` target as its kind asks (see the module docstring)."""
    raw = data.encode(encoding) if isinstance(data, str) else data
    if is_stdout(path):
        sys.stdout.flush()
        sys.stdout.buffer.write(raw) if hasattr(sys.stdout, "buffer") else sys.stdout.write(raw.decode(encoding))
        sys.stdout.flush()
        return
    path = Path(path)
    target = real_target(path)
    try:
        st = target.stat()
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}", hint="check the path") from exc
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise WriteError(f"cannot write {path}: it is a directory", hint="give a file name, e.g. -o facts.md")
    if st is not None and not stat.S_ISREG(st.st_mode):
        # FIFO, character device (/dev/null, /dev/stdout), socket: write into it, never replace it
        try:
            with open(target, "wb") as handle:
                handle.write(raw)
        except OSError as exc:
            raise WriteError(f"cannot write {path}: {exc.strerror or exc}",
                             hint="check the device or pipe accepts writing") from exc
        return
    atomic_write_bytes(path, raw)
