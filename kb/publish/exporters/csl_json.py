"""``csl-json``: the works the claims cite and their documents, as CSL-JSON items (kb/cite/csl.py)."""

from __future__ import annotations

import json

from kb.cite.citations import works_cited
from kb.cite.csl import csl_items
from kb.publish.exporters import ExportJob, ExportResult


def export(job: ExportJob) -> ExportResult:
    items = csl_items(works_cited(job.kb, job.claims))
    return ExportResult(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
