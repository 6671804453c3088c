"""Recording a reviewer's verdict in a claim's YAML file (``kb review``).

Only the reviewed claim's lines change: its lines are cut out of the file,
edited with ruamel.yaml's round trip (keeping its comments, key order, quoting
and block scalars) and put back; every other byte of the file stays as it was.
The new file is written atomically and read back: if the claim does not load
with the new status, the old file is restored.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from kb.errors import BadInput, KbError, WriteError
from kb.model.schema import Claim
from kb.model.statuses import REVIEW_STATUSES, check_status
from kb.store.edit import edit_claim, edit_claim_text
from kb.store.loader import KnowledgeBase, load_claim_file

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


def _set_review(review: dict[str, Any]) -> Callable[[Any], None]:
    def mutate(item: Any) -> None:
        new = _review_map(**review)
        if "review" in item:
            item["review"] = new
        else:
            item.insert(len(item), "review", new)

    return mutate


def edit_review(text: str, claim_id: str, review: dict[str, Any]) -> str:
    """The file's text with the claim's ``review`` set; nothing outside the claim's lines changes."""
    return edit_claim_text(text, claim_id, _set_review(review))


def record_review(kb: KnowledgeBase, claim_id: str, status: str, *, by: str | None = None, note: str = "",
                  on: date | None = None) -> Claim:
    """Record a review of ``claim_id`` in its file; returns the claim as read back from the file.

    The edit goes through :func:`kb.store.edit.edit_claim` (locked, atomic, read back);
    the fingerprint recorded is the one of the claim as it is in the file under the lock.
    """
    check_status(status, REVIEW_STATUSES)
    kb.claim(claim_id)  # an unknown id is an error before anything is locked
    path = kb.locations[claim_id].path
    review = {"status": status, "by": by or default_reviewer(kb.root), "on": on or date.today(),
              "fingerprint": "", "note": " ".join(note.split())}

    def mutate(item: Any) -> None:
        from pydantic import ValidationError

        from kb.store.edit import plain

        data = plain(item)
        data.pop("review", None)
        try:
            current = Claim.model_validate({**data, "document": kb.claim(claim_id).document})
        except ValidationError:
            raise BadInput(f"claim {claim_id} in {path} is not valid now", hint="run 'kb verify'") from None
        _set_review({**review, "fingerprint": current.fingerprint})(item)

    try:
        edit_claim(kb.root, path, claim_id, mutate)
    except WriteError as exc:
        if "read-only" in exc.message:
            raise WriteError(f"cannot record the review: {path} is read-only", hint=exc.hint) from None
        raise
    claims, _, problems = load_claim_file(path)
    back = next((c for c in claims if c.id == claim_id), None)
    if back is None or back.status != status:
        raise KbError(f"the review of {claim_id} did not read back as '{status}'"
                      + (f" ({problems[0]})" if problems else ""), hint="this is a bug in kb review; please report it")
    return back
