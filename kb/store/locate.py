"""Locating a knowledge base and its index directory (light: no pydantic, no YAML).

Kept apart from :mod:`kb.store.loader` so that fast paths such as ``kb search`` can find
the base without importing the data model.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from kb.errors import KnowledgeBaseNotFound

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _checkout_root() -> Path | None:
    root = PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "claims").is_dir() and (root / "sources").is_dir():
        return root
    return None


def bundled_root() -> Path:
    """The bundled base: the repository root in a checkout, else the copy shipped in the package."""
    return _checkout_root() or PACKAGE_DIR / "_bundled"


def user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not base:
        base = os.environ.get("LOCALAPPDATA", "") if os.name == "nt" else ""
    return Path(base or Path.home() / ".cache") / "kb"


def index_dir_for(root: Path) -> Path:
    """``index/`` inside the base, except for the copy shipped in the package (read-only)."""
    if root == (PACKAGE_DIR / "_bundled").resolve():
        digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
        return user_cache_dir() / f"bundled-{digest}" / "index"
    return root / "index"


def resolve_root(kb_dir: str | Path | None = None) -> Path:
    """The base to use: ``kb_dir`` (from ``--kb``), else ``$KB_DIR``, else the bundled one."""
    chosen = kb_dir if kb_dir not in (None, "") else os.environ.get("KB_DIR") or None
    if chosen is None:
        root = bundled_root()
        origin = "the bundled knowledge base"
    else:
        root = Path(chosen).expanduser()
        # typer feeds $KB_DIR into --kb: a value equal to the environment's came from there
        from_env = kb_dir in (None, "") or str(kb_dir) == os.environ.get("KB_DIR")
        origin = "KB_DIR" if from_env else "--kb"
    if root.exists() and not root.is_dir():
        raise KnowledgeBaseNotFound(f"{root} is a file, not a knowledge base directory (from {origin})",
                                    hint="point it at the base's directory (the one holding claims/ and sources/)")
    if not root.is_dir():
        raise KnowledgeBaseNotFound(f"knowledge base directory {root} does not exist (from {origin})",
                                    hint="check the path, or create one with 'kb init DIR'")
    if not (root / "claims").is_dir():
        raise KnowledgeBaseNotFound(f"{root} is not a knowledge base: it has no claims/ directory (from {origin})",
                                    hint="point --kb at a base, or create one with 'kb init DIR'")
    return root.resolve()


