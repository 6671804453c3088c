"""Recording a reviewer's verdict in a claim's YAML file (``kb review``).

Only the reviewed claim's lines change: its lines are cut out of the file,
edited with ruamel.yaml's round trip (keeping its comments, key order, quoting
and block scalars) and put back; every other byte of the file stays as it was.
The new file is written atomically and read back: if the claim does not load
with the new status, the old file is restored.
"""

from __future__ import annotations

import io
import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from kb.errors import BadInput, KbError, WriteError
from kb.model.schema import Claim
from kb.model.statuses import REVIEW_STATUSES, check_status
from kb.store.fileio import atomic_write_text
from kb.store.loader import KnowledgeBase, load_kb

_INDENTS = ((2, 2, 0), (2, 4, 2), (4, 4, 0), (4, 6, 4), (4, 4, 2))
"""(mapping, sequence, offset) indentations tried, so the claim keeps its own style."""


def default_reviewer(cwd: Path | None = None) -> str:
    """``git config user.name``, else ``$USER``/``$USERNAME``, else ``unknown``."""
    try:
        done = subprocess.run(["git", "config", "user.name"], cwd=cwd, capture_output=True, text=True,
                              timeout=5, check=False)
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def _claim_span(text: str, claim_id: str) -> tuple[int, int, int]:
    """(first line, line after the last, column of its keys) of the claim's item in the ``claims`` list.

    Blank and comment lines after the item are left outside: they introduce the next one.
    """
    import yaml

    from kb.store.loader import _yaml_loader

    root = yaml.compose(text, Loader=_yaml_loader())
    items = next((v for k, v in getattr(root, "value", []) if getattr(k, "value", None) == "claims"), None)
    if not isinstance(items, yaml.SequenceNode):
        raise BadInput("the claims file has no 'claims' list")
    for i, item in enumerate(items.value):
        ident = next((v.value for k, v in getattr(item, "value", []) if getattr(k, "value", None) == "id"), None)
        if ident != claim_id:
            continue
        if not isinstance(item, yaml.MappingNode) or item.flow_style:
            raise BadInput(f"claim {claim_id} is written in flow style ({{...}}), which kb review cannot edit",
                           hint="write the claim as a block mapping, one field a line")
        lines = text.splitlines(keepends=True)
        first = item.start_mark.line
        end = items.value[i + 1].start_mark.line if i + 1 < len(items.value) else items.end_mark.line + 1
        end = min(end, len(lines))
        while end > first + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1
        return first, end, item.start_mark.column
    raise BadInput(f"claim {claim_id} is not in the file")


def _yaml(indent: tuple[int, int, int]) -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1_000_000  # never re-wrap a long line
    y.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return y


def _dump(y: Any, data: Any) -> str:
    out = io.StringIO()
    y.dump(data, out)
    return out.getvalue()


def _review_map(status: str, by: str, on: date, fingerprint: str, note: str) -> Any:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    review = CommentedMap()
    review["status"] = status
    review["by"] = by
    review["on"] = on  # written as YYYY-MM-DD, read back as a date
    review["fingerprint"] = DoubleQuotedScalarString(fingerprint)  # all digits must stay a string
    if note:
        review["note"] = note
    return review


def edit_review(text: str, claim_id: str, review: dict[str, Any]) -> str:
    """The file's text with the claim's ``review`` set; nothing outside the claim's lines changes."""
    lines = text.splitlines(keepends=True)
    first, end, column = _claim_span(text, claim_id)
    region = lines[first:end]
    if not region[-1].endswith("\n"):
        region[-1] += "\n"
    # The claim is edited as a mapping of its own: its first line loses its "- ", every
    # line its indentation; both come back after the edit.
    lead = region[0][:column]
    region[0] = " " * column + region[0][column:]
    dedented = "".join(line[column:] if not line[:column].strip() else line for line in region)
    y = None
    for indent in _INDENTS:
        candidate = _yaml(indent)
        if _dump(candidate, candidate.load(dedented)) == dedented:
            y = candidate
            break
    y = y or _yaml(_INDENTS[0])  # the claim is re-indented; still, only its lines change
    item = y.load(dedented)
    new = _review_map(**review)
    if "review" in item:
        item["review"] = new
    else:
        item.insert(len(item), "review", new)
    pad = " " * column
    edited_lines = _dump(y, item).splitlines(keepends=True)
    edited = lead + edited_lines[0] + "".join(pad + line if line.strip() else line for line in edited_lines[1:])
    if end == len(lines) and not lines[end - 1].endswith("\n"):
        edited = edited.rstrip("\n")
    return "".join(lines[:first]) + edited + "".join(lines[end:])


def record_review(kb: KnowledgeBase, claim_id: str, status: str, *, by: str | None = None, note: str = "",
                  on: date | None = None) -> Claim:
    """Record a review of ``claim_id`` in its file; returns the claim as read back from the file."""
    check_status(status, REVIEW_STATUSES)
    claim = kb.claim(claim_id)
    path = kb.locations[claim_id].path
    # a file without write permission bits is read-only, even to root (who could write it)
    if not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222:
        raise WriteError(f"cannot record the review: {path} is read-only",
                         hint="make the file writable (chmod u+w) or review in a writable copy")
    try:
        old = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path} ({exc})") from None
    review = {"status": status, "by": by or default_reviewer(kb.root), "on": on or date.today(),
              "fingerprint": claim.fingerprint, "note": " ".join(note.split())}
    new = edit_review(old, claim_id, review)
    atomic_write_text(path, new)
    try:
        reloaded = load_kb(kb.root, strict=False)
        back = reloaded.claims.get(claim_id)
        if back is None or back.status != status or reloaded.fatal_problems:
            problem = reloaded.fatal_problems[0] if reloaded.fatal_problems else None
            raise KbError(f"the review of {claim_id} did not read back as '{status}'"
                          + (f" ({problem})" if problem else "") + f"; {path} was restored",
                          hint="this is a bug in kb review; please report it")
    except BaseException:
        atomic_write_text(path, old)
        raise
    return back
