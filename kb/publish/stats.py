"""Figures about a knowledge base (``kb stats``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kb.store.loader import KnowledgeBase


def compute_stats(kb: KnowledgeBase) -> dict[str, Any]:
    """Counts of claims by kind, place, topic, cited source and review status."""
    kinds: Counter[str] = Counter()
    places: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    cited: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for claim in kb:
        kinds[claim.kind] += 1
        places.update(claim.places)
        topics.update(claim.topics)
        cited.update(claim.cited_keys)
        statuses[claim.status] += 1
        if not claim.cites:
            cited["(the document's own evidence)"] += 1
    return {
        "root": str(kb.root),
        "claims": len(kb),
        "sources": len(kb.sources),
        "documents": len(kb.document_keys),
        "claim_files": len(kb.claim_files),
        "kinds": dict(kinds.most_common()),
        "places": dict(places.most_common()),
        "topics": dict(topics.most_common()),
        "cited_sources": dict(cited.most_common()),
        "statuses": dict(statuses.most_common()),
    }
