"""``jsonl``: one full claim record per line (the same records as ``json``)."""

from __future__ import annotations

from kb.provenance.records import claim_record
from kb.publish.exporters import ExportJob, ExportResult, json_text


def export(job: ExportJob) -> ExportResult:
    lines = [json_text(claim_record(job.kb, claim, graph=job.graph), f"claim {claim.id}") for claim in job.claims]
    return ExportResult("".join(line + "\n" for line in lines))
