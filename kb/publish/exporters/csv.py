"""``csv``: one row per claim; lists (cited keys, places, topics) joined by '; '.

The last two columns are the claim's links: ``links`` its own, ``linked_from`` those
other claims of the base hold to it, each as "rel id" joined by '; '
("repeats ctf-0302; supports ctf-0010"); their notes are in the JSON export.

Cells are safe to open in a spreadsheet (OWASP "CSV injection"): a cell starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read as a
formula, so it is prefixed with ``'``; a cell that is a plain number ("-5", "2.5")
stays a number.
"""

from __future__ import annotations

import csv
import io
import re

from kb.publish.exporters import ExportJob, ExportResult

COLUMNS = ["id", "statement", "kind", "cites", "document", "section", "quote", "period", "places",
           "topics", "status", "fingerprint", "links", "linked_from"]
JOIN = "; "
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def cell(value: object) -> str:
    """A value as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def export(job: ExportJob) -> ExportResult:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for claim in job.claims:
        row = {
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
            "links": JOIN.join(f"{e.rel} {e.target}" for e in job.graph.outgoing(claim.id)),
            "linked_from": JOIN.join(f"{e.rel} {e.source}" for e in job.graph.incoming(claim.id)
                                     if e.source != claim.id),
        }
        writer.writerow({name: cell(value) for name, value in row.items()})
    return ExportResult(buffer.getvalue())
