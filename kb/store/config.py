"""A base's own settings: the optional ``kb.yaml`` at its root.

Today one key: ``engine: whoosh | tantivy`` (the search engine; default whoosh). Unknown
keys or values are bad input (exit 2) naming the valid ones. ``kb index --engine E``
writes the choice with :func:`write_engine` (atomically, under the base lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.errors import BadInput

FILENAME = "kb.yaml"
ENGINES = ("whoosh", "tantivy")
KEYS = ("engine",)


@dataclass(frozen=True)
class Config:
    engine: str = "whoosh"


def _check_engine(value: object, where: str) -> str:
    if value not in ENGINES:
        raise BadInput(f"{where}: unknown engine {value!r}", hint=f"engines: {', '.join(ENGINES)}")
    return str(value)


def read_config(root: Path) -> Config:
    """The settings in ``root/kb.yaml`` (defaults when there is no such file)."""
    path = Path(root) / FILENAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot be read ({exc})", hint="fix or remove the file") from None
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise BadInput(f"{path}{line}: not valid YAML", hint="write e.g. 'engine: whoosh'") from None
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a mapping such as 'engine: whoosh'", hint=f"keys: {', '.join(KEYS)}")
    unknown = [str(k) for k in data if k not in KEYS]
    if unknown:
        raise BadInput(f"{path}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
                       hint=f"keys: {', '.join(KEYS)}")
    return Config(engine=_check_engine(data.get("engine", "whoosh"), str(path)))


def write_engine(root: Path, engine: str) -> bool:
    """Record ``engine`` in ``root/kb.yaml`` (other lines kept); returns whether it changed."""
    from kb.store.fileio import atomic_write_text
    from kb.store.lock import base_lock

    _check_engine(engine, "--engine")
    path = Path(root) / FILENAME
    with base_lock(Path(root)):
        if read_config(root).engine == engine and path.exists():
            return False
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        kept = [line for line in lines if not line.startswith("engine:")]
        atomic_write_text(path, "\n".join(kept + [f"engine: {engine}"]) + "\n")
    return True
