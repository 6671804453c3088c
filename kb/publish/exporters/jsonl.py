"""``jsonl``: one full claim record per line (the same records as ``json``)."""

from __future__ import annotations

import json

from kb.provenance.records import claim_record
from kb.publish.exporters import ExportJob, ExportResult


def export(job: ExportJob) -> ExportResult:
    lines = [json.dumps(claim_record(job.kb, claim), ensure_ascii=False) for claim in job.claims]
    return ExportResult("".join(line + "\n" for line in lines))
