"""The controlled vocabularies of a base (``kb vocabulary``): listed, and extended in its own ``vocabulary.yaml``.

A base's ``vocabulary.yaml`` extends kb's default (``kb/data/vocabulary.yaml``; the
merge is :func:`kb.store.loader.load_vocabulary`). :func:`add_term` adds a place or a
topic to the base's own file: under the base's write lock, by a ruamel.yaml round
trip (comments and order kept), written atomically; the file is created, with a
header comment, when the base has none. Kinds are not added: they are a fixed set of
kb's data model (``Kind`` in kb/model/schema.py), which exports, search facets and
citation styles rely on; a base may describe a kind, not invent one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import BadInput

FIELDS = {"kind": "kinds", "place": "places", "topic": "topics"}
"""The singular a user types -> the key in vocabulary.yaml."""
HEADER = """\
# This base's own vocabulary. It EXTENDS kb's default vocabulary (list it all with
# 'kb vocabulary'): name only what the default lacks. Each entry is name: description.
# 'kb vocabulary add place|topic NAME --description TEXT' adds one here.
"""
MAX_LENGTH = 80


@dataclass(frozen=True)
class Term:
    field: str
    """``kinds``, ``places`` or ``topics``."""
    name: str
    description: str
    own: bool
    """Whether the base's own vocabulary.yaml gives it (a new term, or a new description of a default one)."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "own": self.own}


def vocabulary_path(root: Path) -> Path:
    return Path(root) / "vocabulary.yaml"


def _own_entries(root: Path) -> dict[str, dict[str, str]]:
    from kb.store.loader import _vocabulary_entries, read_yaml

    path = vocabulary_path(root)
    if not path.is_file():
        return {}
    data, problem = read_yaml(path)
    entries, problems = ({}, [problem]) if problem else _vocabulary_entries(path, data)
    if problems:
        raise BadInput(f"cannot read {path}: {problems[0].message}", hint=problems[0].hint or "fix the file")
    return entries


def list_terms(root: Path) -> dict[str, list[Term]]:
    """Every kind, place and topic of the base (default and own), in the file's order, default first."""
    from kb.store.loader import load_vocabulary

    own = _own_entries(root)
    vocabulary, _ = load_vocabulary(Path(root))
    return {name: [Term(name, term, description, term in own.get(name, {}))
                   for term, description in getattr(vocabulary, name).items()]
            for name in FIELDS.values()}


def _check_value(field: str, value: str, root: Path) -> str:
    import difflib

    if field not in FIELDS:
        raise BadInput(f"unknown vocabulary field '{field}'", hint="use one of: kind, place, topic")
    if field == "kind":
        from typing import get_args

        from kb.model.schema import Kind

        raise BadInput(f"kinds are fixed by kb's data model ({', '.join(get_args(Kind))}); a base cannot add "
                       f"'{value}'", hint="choose the nearest kind, and say the rest with topics (kb vocabulary "
                                          "add topic NAME)")
    name = " ".join(value.split())
    if not name or not name.isprintable() or len(name) > MAX_LENGTH or name != value:
        raise BadInput(f"'{value}' is not a usable {field}: give one line of printable text, at most "
                       f"{MAX_LENGTH} characters, without leading, trailing or doubled spaces",
                       hint=f"e.g. kb vocabulary add {field} {'Northtown' if field == 'place' else 'reading'}")
    existing = [t.name for t in list_terms(root)[FIELDS[field]]]
    same = next((t for t in existing if t.casefold() == name.casefold()), None)
    if same is not None:
        raise BadInput(f"{field} '{same}' is already in the vocabulary" + ("" if same == name else
                                                                          f" (as '{same}')"),
                       hint=f"use it as it is: --{field} '{same}'")
    close = difflib.get_close_matches(name, existing, n=1, cutoff=0.9)
    if close:
        raise BadInput(f"{field} '{name}' is very close to '{close[0]}', which is already in the vocabulary",
                       hint=f"use '{close[0]}', or choose a name that differs more")
    return name


def add_term(root: Path, field: str, value: str, description: str = "") -> Path:
    """Add ``value`` to the ``field`` (kind, place or topic) of the base's own vocabulary.yaml; returns its path."""
    from kb.store.edit import refuse_bundled
    from kb.store.fileio import atomic_write_text
    from kb.store.lock import base_lock

    root = Path(root)
    refuse_bundled(root)
    description = " ".join(description.split())
    if not description.isprintable():
        raise BadInput("the description must be printable text", hint="give one line of text")
    with base_lock(root):
        name = _check_value(field, value, root)  # under the lock: two adds of one name cannot both pass
        path = vocabulary_path(root)
        try:
            old = path.read_text(encoding="utf-8") if path.is_file() else None
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read {path}: {exc}", hint="save it as UTF-8 text") from None
        new = add_term_text(HEADER if old is None else old, FIELDS[field], name, description)
        atomic_write_text(path, new)
    return path


def add_term_text(text: str, key: str, name: str, description: str) -> str:
    """``text`` (a vocabulary.yaml) with ``name: description`` added under ``key``, comments kept."""
    import yaml
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1_000_000
    y.indent(mapping=2, sequence=2, offset=0)
    data = y.load(text) if text.strip() else None
    if data is None:  # only comments (or nothing): keep them as they are and add the mapping after them
        body = io.StringIO()
        y.dump({key: {name: description}}, body)
        new = text + ("" if not text or text.endswith("\n") else "\n") + body.getvalue()
    else:
        current = data.get(key)
        if current is None:
            data[key] = CommentedMap([(name, description)])
        elif isinstance(current, list):
            current.append(name)
        else:
            current[name] = description
        out = io.StringIO()
        y.dump(data, out)
        new = out.getvalue()
    check = yaml.safe_load(new)
    entries = check.get(key) if isinstance(check, dict) else None
    if not (isinstance(entries, dict) and name in entries) and not (isinstance(entries, list) and name in entries):
        raise BadInput(f"adding '{name}' would not read back from vocabulary.yaml; nothing was written",
                       hint="this is a bug in kb; please report it")
    return new
