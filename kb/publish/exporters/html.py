"""``html``: a standalone page with the claims, their citations and the reference list.

Every piece of text from the base is escaped: what citeproc-py formats is escaped
before it gets there (kb/cite/citations.py), the rest goes through ``html.escape``
(attributes with quotes escaped too). An address becomes a link only when it is
http(s) or relative (``safe_href``): never ``javascript:`` or ``data:``. With
``--quotes`` each claim is a ``<blockquote>`` of its verbatim quote with its citation.

Each claim's item has its id as anchor (``<li id="ctf-0302">``). Its links follow its
line of details, one per line ("Repeats ctf-0302", "Contradicted by ctf-0100", then
the note): the other claim's id links to ``#ctf-0302`` when it is on the page, plain
text otherwise. They are kept with ``--quotes``, which keeps the line of details too.
"""

from __future__ import annotations

from html import escape

from kb.cite.citations import attach, render
from kb.cite.csl import is_safe_url
from kb.cite.secondary import credit_for
from kb.publish.exporters import ExportJob, ExportResult, LinkLine, claim_text, link_lines, quote_pages

def safe_href(url: str) -> str | None:
    """``url`` escaped for an href when it is http(s) or relative; None for any other scheme
    (``javascript:``, ``data:``, ``vbscript:``...), control characters included."""
    value = "".join(ch for ch in str(url).strip() if ch >= " " and ch != "\x7f")
    return escape(value, quote=True) if is_safe_url(value) else None

CSS = """\
body { font-family: Georgia, 'Times New Roman', serif; line-height: 1.5; margin: 0; color: #222; }
main { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
.meta, .claim-meta { color: #555; font-size: 0.9rem; }
ol.claims > li { margin-bottom: 1rem; }
.claim-meta { margin: 0.2rem 0 0; }
.references p { padding-left: 2rem; text-indent: -2rem; margin: 0.4rem 0; }
.notes { font-size: 0.95rem; }
ul.claim-links { list-style: none; padding: 0; margin: 0.2rem 0 0; color: #555; font-size: 0.9rem; }"""


def links_list(lines: list[LinkLine]) -> str:
    """A claim's links as a list: "Repeats <a href="#ctf-0302">ctf-0302</a> — note" ("" without links)."""
    if not lines:
        return ""
    items = []
    for line in lines:
        other = escape(line.id, quote=True)
        ref = f'<a href="#{other}">{other}</a>' if line.here else other
        note = f" — {escape(line.note, quote=False)}" if line.note else ""
        items.append(f"<li>{escape(line.phrase)} {ref}{note}</li>")
    return '\n<ul class="claim-links">\n' + "\n".join(items) + "\n</ul>"


def export(job: ExportJob) -> ExportResult:
    pages = quote_pages(job.kb, job.claims) if job.quotes else {}
    rendered = render(job.kb, job.claims, job.style, "html", credit=credit_for(job.style, job.credit),
                      document_locators=pages)
    title = escape(job.title or "Claims and references")
    items: list[str] = []
    notes: list[str] = []
    for number, cited in enumerate(rendered.claims, 1):
        claim = cited.claim
        statement = escape(claim_text(job, claim), quote=False)
        if rendered.is_note:
            body = f'{statement}<sup><a href="#note-{number}" id="ref-{number}">{number}</a></sup>'
            notes.append(f'<li id="note-{number}">{cited.citation} <a href="#ref-{number}">↩</a></li>')
        elif job.quotes:
            body = f"{statement} {cited.citation}"
        else:
            body = attach(statement, cited.citation)
        document = job.kb.sources.get(claim.document)
        href = safe_href(document.url) if document and document.url else None
        source = (f'<a href="{href}">{escape(claim.document)}</a>' if href else escape(claim.document))
        meta = (f"{escape(claim.id)} · {escape(claim.kind)} · {source} · {escape(claim.section)}"
                + ("" if job.quotes else f" · quote: “{escape(claim.quote_text)}”"))
        paragraph = f"<blockquote><p>{body}</p></blockquote>" if job.quotes else f"<p>{body}</p>"
        links = links_list(link_lines(job, claim))
        items.append(f'<li id="{escape(claim.id)}">\n{paragraph}\n<p class="claim-meta">{meta}</p>{links}\n</li>')
    count = len(rendered.claims)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>\n{CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{title}</h1>",
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
    return ExportResult("\n".join(out) + "\n", works=len(rendered.references))
