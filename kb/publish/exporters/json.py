"""``json``: an array of full claim records (the contract of DESIGN.md, built by kb.records)."""

from __future__ import annotations

import json

from kb.provenance.records import claim_record
from kb.publish.exporters import ExportJob, ExportResult


def export(job: ExportJob) -> ExportResult:
    records = [claim_record(job.kb, claim) for claim in job.claims]
    return ExportResult(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
