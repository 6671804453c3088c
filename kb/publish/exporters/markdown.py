"""``markdown``: each statement with its citation, then the reference list — paste-ready.

Formatted by citeproc-py in the chosen style; a note style (e.g. ``mhra-notes``)
gives Markdown footnotes instead of in-text citations. With ``--quotes`` each claim
is a block quote of its verbatim text followed by its citation (with the page
where the document's manifest has a page map). Every string from the base is
escaped (``markdown_escape``), so nothing in it becomes markup, raw HTML or TeX.

Under a claim that has links, one line per link ("Repeats ctf-0302", "Contradicted
by ctf-0100", then its note), after a hard line break; the other claim's id links to
it (``#ctf-0302``) when it is in the same export, which gives it an anchor
(``<a id="ctf-0302"></a>``). With ``--quotes`` the links are left out: the block
quotes are for pasting into a text, as the document has them.
"""

from __future__ import annotations

from urllib.parse import quote

from kb.cite.citations import attach, markdown_escape, render
from kb.cite.secondary import credit_for
from kb.model.schema import Claim
from kb.publish.exporters import (
    ExportJob,
    ExportResult,
    LinkLine,
    anchored,
    claim_text,
    link_lines,
    quote_pages,
)


def link_break(lines: list[LinkLine]) -> str:
    """The link lines that end a list item: each after a hard line break (a '\\' ending the line)."""
    out = ""
    for line in lines:
        other = markdown_escape(line.id)
        ref = f"[{other}](#{quote(line.id, safe='')})" if line.here else other
        out += f"\\\n  {line.phrase} {ref}" + (f" — {markdown_escape(line.note)}" if line.note else "")
    return out


def with_links(job: ExportJob, claim: Claim, body: str, anchor: str) -> str:
    """``body`` (a list item's text) with the claim's anchor before it (``anchor`` formats one) and
    its link lines after it, when it has links; unchanged with ``--quotes``."""
    if job.quotes:
        return body
    lines = link_lines(job, claim)
    return (anchor.format(id=claim.id) if anchored(job, claim, lines) else "") + body + link_break(lines)


ANCHOR = '<a id="{id}"></a>'
"""A claim's anchor in Markdown: raw HTML, which CommonMark, GitHub and pandoc all keep."""


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
        blocks.append(f"> {body}" if job.quotes else f"- {with_links(job, cited.claim, body, ANCHOR)}")
    parts = [("\n\n" if job.quotes else "\n").join(blocks)]
    if notes:
        parts.append("\n".join(notes))
    if rendered.references:
        parts.append("## References\n\n" + "\n\n".join(rendered.references))
    return ExportResult("\n\n".join(parts) + "\n", works=len(rendered.references))
