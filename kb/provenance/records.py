"""Claims and sources as plain records: the JSON contract of ``show``, ``search`` and ``export``.

One place builds them so every command that prints JSON prints the same shape.
"""

from __future__ import annotations

from typing import Any

from kb.model.schema import Claim, Source
from kb.provenance.links import LinkGraph, linked_from
from kb.store.loader import KnowledgeBase


def source_record(source: Source) -> dict[str, Any]:
    """A source with its authors flattened for display and kept structured."""
    data = source.model_dump(mode="json", exclude={"line"})
    data["author"] = source.author_names()
    data["label"] = source.label()
    return data


def anchor_records(kb: KnowledgeBase, claim: Claim) -> list[dict[str, Any] | None]:
    """Where each quote fragment sits in the claim's document (None where not found)."""
    document = kb.document(claim.document)
    if document is None:
        return [None for _ in claim.fragments]
    anchors = document.anchor_fragments(claim.fragments)
    return [a.to_dict() if a else None for a in anchors]


def claim_record(kb: KnowledgeBase, claim: Claim, *, anchors: bool = True,
                 graph: LinkGraph | None = None) -> dict[str, Any]:
    """The full record: the claim's fields, its resolved sources, fingerprint, status, file.

    ``links`` are the claim's own (outgoing) links, ``[{rel, id, note}]``; ``linked_from``
    the links other claims of the base hold to it, ``[{rel, id, note}]`` with ``id`` the
    claim that links. Pass a :class:`LinkGraph` built once when making many records (an export).
    """
    data: dict[str, Any] = {}
    for key, value in claim.model_dump(mode="json", exclude_defaults=False).items():
        data[key] = value
        if key == "links":
            data["linked_from"] = linked_from(kb, claim, graph)
    data["fingerprint"] = claim.fingerprint
    data["status"] = claim.status
    cites = []
    for cite in claim.cites:
        entry = cite.model_dump(mode="json")
        source = kb.sources.get(cite.key)
        entry["source"] = source_record(source) if source else None
        cites.append(entry)
    data["cites"] = cites
    document = kb.sources.get(claim.document)
    data["document_source"] = source_record(document) if document else None
    location = kb.locations.get(claim.id)
    if location is not None:
        try:
            shown = location.path.relative_to(kb.root)
        except ValueError:
            shown = location.path
        data["file"] = str(shown)
        data["line"] = location.line
    if anchors:
        data["anchors"] = anchor_records(kb, claim)
    return data
