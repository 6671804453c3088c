"""``markdown``: each statement with its citation, then the reference list — paste-ready.

Formatted by citeproc-py in the chosen style; a note style (e.g. ``mhra-notes``)
gives Markdown footnotes instead of in-text citations.
"""

from __future__ import annotations

from kb.cite.citations import attach, markdown_escape, render
from kb.publish.exporters import ExportJob, ExportResult


def export(job: ExportJob) -> ExportResult:
    rendered = render(job.kb, job.claims, job.style, "markdown")
    lines: list[str] = []
    notes: list[str] = []
    for number, cited in enumerate(rendered.claims, 1):
        statement = markdown_escape(cited.claim.statement)
        if rendered.is_note:
            lines.append(f"- {statement}[^{number}]")
            notes.append(f"[^{number}]: {cited.citation}")
        else:
            lines.append(f"- {attach(statement, cited.citation)}")
    parts = ["\n".join(lines)]
    if notes:
        parts.append("\n".join(notes))
    if rendered.references:
        parts.append("## References\n\n" + "\n\n".join(rendered.references))
    return ExportResult("\n\n".join(parts) + "\n")
