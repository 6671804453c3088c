"""Review statuses: what a reviewer records, and what a claim's status can be.

A light module (no pydantic, no YAML) so that ``kb search`` can check ``--status``
without importing the data model.
"""

from __future__ import annotations

from typing import Any

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


def claim_status(claim: Any) -> str:
    """A claim's status: ``unreviewed`` without a review or when its review recorded no
    fingerprint (nothing says what the reviewer saw), ``stale`` when the claim changed
    since, else the review's status. The one definition, for the model, verify and the index.
    """
    review = claim.review
    if review is None or not review.fingerprint:
        return "unreviewed"
    if review.fingerprint != claim.fingerprint:
        return "stale"
    return review.status
