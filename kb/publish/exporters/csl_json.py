"""``csl-json``: the works the claims cite and their documents, as CSL-JSON items (kb/cite/csl.py)."""

from __future__ import annotations

from kb.cite.citations import works_cited
from kb.cite.csl import csl_items
from kb.publish.exporters import ExportJob, ExportResult, json_text


def export(job: ExportJob) -> ExportResult:
    items = csl_items(works_cited(job.kb, job.claims, job.credit or "both"))
    return ExportResult(json_text(items, "the bibliography", indent=2) + "\n", works=len(items))
