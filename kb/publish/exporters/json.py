"""``json``: an array of full claim records (the contract of DESIGN.md, built by kb.records).

Each record carries ``links`` (the claim's own, ``{rel, id, note}``) and ``linked_from``
(the links other claims of the base hold to it, ``{rel, id, note}``, ``id`` the linking
claim), from one link graph built for the whole export.
"""

from __future__ import annotations

from kb.provenance.records import claim_record
from kb.publish.exporters import ExportJob, ExportResult, json_text


def export(job: ExportJob) -> ExportResult:
    records = [json_text(claim_record(job.kb, claim, graph=job.graph), f"claim {claim.id}", indent=2) for claim in job.claims]
    body = ",\n".join("  " + r.replace("\n", "\n  ") for r in records)
    return ExportResult(f"[\n{body}\n]\n" if records else "[]\n")
