"""``csv``: one row per claim; lists (cited keys, places, topics) joined by '; '."""

from __future__ import annotations

import csv
import io

from kb.publish.exporters import ExportJob, ExportResult

COLUMNS = ["id", "statement", "kind", "cites", "document", "section", "quote", "period", "places",
           "topics", "status", "fingerprint"]
JOIN = "; "


def export(job: ExportJob) -> ExportResult:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for claim in job.claims:
        writer.writerow({
            "id": claim.id,
            "statement": claim.statement,
            "kind": claim.kind,
            "cites": JOIN.join(claim.cited_keys),
            "document": claim.document,
            "section": claim.section,
            "quote": claim.quote_text,
            "period": claim.period,
            "places": JOIN.join(claim.places),
            "topics": JOIN.join(claim.topics),
            "status": claim.status,
            "fingerprint": claim.fingerprint,
        })
    return ExportResult(buffer.getvalue())
