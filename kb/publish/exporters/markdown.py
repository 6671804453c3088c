"""``markdown``: each statement with its citation, then the reference list — paste-ready.

Formatted by citeproc-py in the chosen style; a note style (e.g. ``mhra-notes``)
gives Markdown footnotes instead of in-text citations. With ``--quotes`` each claim
is a block quote of its verbatim text followed by its citation (with the page
where the document's manifest has a page map). Every string from the base is
escaped (``markdown_escape``), so nothing in it becomes markup, raw HTML or TeX.
"""

from __future__ import annotations

from kb.cite.citations import attach, markdown_escape, render
from kb.cite.secondary import credit_for
from kb.publish.exporters import ExportJob, ExportResult, claim_text, quote_pages


def export(job: ExportJob) -> ExportResult:
    pages = quote_pages(job.kb, job.claims) if job.quotes else {}
    rendered = render(job.kb, job.claims, job.style, "markdown", credit=credit_for(job.style, job.credit),
                      document_locators=pages)
    blocks: list[str] = []
    notes: list[str] = []
    for number, cited in enumerate(rendered.claims, 1):
        text = markdown_escape(claim_text(job, cited.claim))
        if rendered.is_note:
            notes.append(f"[^{number}]: {cited.citation}")
            body = f"{text}[^{number}]"
        else:
            body = f"{text} {cited.citation}" if job.quotes else attach(text, cited.citation)
        blocks.append(f"> {body}" if job.quotes else f"- {body}")
    parts = [("\n\n" if job.quotes else "\n").join(blocks)]
    if notes:
        parts.append("\n".join(notes))
    if rendered.references:
        parts.append("## References\n\n" + "\n\n".join(rendered.references))
    return ExportResult("\n\n".join(parts) + "\n", works=len(rendered.references))
