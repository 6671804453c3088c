"""``html``: a standalone page with the claims, their citations and the reference list.

Every piece of text is escaped (citeproc-py's HTML formatter escapes what it
formats; the rest goes through ``html.escape``).
"""

from __future__ import annotations

from html import escape

from kb.cite.citations import attach, render
from kb.publish.exporters import ExportJob, ExportResult

CSS = """\
body { font-family: Georgia, 'Times New Roman', serif; line-height: 1.5; margin: 0; color: #222; }
main { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
.meta, .claim-meta { color: #555; font-size: 0.9rem; }
ol.claims > li { margin-bottom: 1rem; }
.claim-meta { margin: 0.2rem 0 0; }
.references p { padding-left: 2rem; text-indent: -2rem; margin: 0.4rem 0; }
.notes { font-size: 0.95rem; }"""


def export(job: ExportJob) -> ExportResult:
    rendered = render(job.kb, job.claims, job.style, "html")
    items: list[str] = []
    notes: list[str] = []
    for number, cited in enumerate(rendered.claims, 1):
        claim = cited.claim
        statement = escape(claim.statement, quote=False)
        if rendered.is_note:
            body = f'{statement}<sup><a href="#note-{number}" id="ref-{number}">{number}</a></sup>'
            notes.append(f'<li id="note-{number}">{cited.citation} <a href="#ref-{number}">↩</a></li>')
        else:
            body = attach(statement, cited.citation)
        meta = (f"{escape(claim.id)} · {escape(claim.kind)} · {escape(claim.section)} · "
                f"quote: “{escape(claim.quote_text)}”")
        items.append(f'<li id="{escape(claim.id)}">\n<p>{body}</p>\n<p class="claim-meta">{meta}</p>\n</li>')
    count = len(rendered.claims)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Claims and references</title>",
        f"<style>\n{CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        "<h1>Claims and references</h1>",
        f'<p class="meta">{count} claim{"s" if count != 1 else ""}; references in '
        f"{escape(rendered.style.title)}.</p>",
        '<ol class="claims">',
        *items,
        "</ol>",
    ]
    if notes:
        out += ['<section class="notes">', "<h2>Notes</h2>", "<ol>", *notes, "</ol>", "</section>"]
    if rendered.references:
        out += ['<section class="references">', "<h2>References</h2>",
                *(f"<p>{entry}</p>" for entry in rendered.references), "</section>"]
    out += ["</main>", "</body>", "</html>"]
    return ExportResult("\n".join(out) + "\n")
