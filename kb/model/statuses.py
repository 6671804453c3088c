"""Review statuses: what a reviewer records, and what a claim's status can be.

A light module (no pydantic, no YAML) so that ``kb search`` can check ``--status``
without importing the data model.
"""

from __future__ import annotations

from kb.errors import BadInput

REVIEW_STATUSES = ("verified", "disputed", "needs-work")
"""What ``kb review --status`` records."""
CLAIM_STATUSES = ("unreviewed", *REVIEW_STATUSES, "stale")
"""A claim's status: its review's, ``stale`` when the claim changed since, ``unreviewed`` without one."""


def check_status(status: str, allowed: tuple[str, ...] = CLAIM_STATUSES) -> str:
    """``status`` if it is one of ``allowed``; BadInput naming them otherwise."""
    if status not in allowed:
        raise BadInput(f"unknown review status '{status}'", hint=f"use one of {', '.join(allowed)}")
    return status
