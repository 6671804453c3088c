"""``bibtex``: the works the claims cite and their documents, as classic BibTeX entries.

For ``bibtex`` itself, natbib and pybtex's styles, which know only the classic
types: a report is ``@techreport`` (``institution``, ``type``, ``number``), a book
``@book``, a chapter ``@incollection``; legislation, datasets, web pages and
anything else are ``@misc`` with ``howpublished`` saying what it is ("Legislation",
the dataset's publisher, the address of a web page) and a ``key`` to sort by when
there is no author. ``url`` is kept for styles that print it (plainnat, urlbst,
pybtex); a ``@misc`` carries its address in ``howpublished`` instead.
Use ``biblatex`` for biber, biblatex and pandoc.
"""

from __future__ import annotations

from kb.cite.citations import works_cited
from kb.cite.csl import same_address
from kb.model.schema import Source
from kb.publish.exporters import ExportJob, ExportResult
from kb.publish.exporters.bibtex_common import author_field, escape, format_entry, url_field

CLASSIC_TYPES = {"report": "techreport", "book": "book", "incollection": "incollection", "article": "article"}
MISC_KIND = {"legislation": "Legislation", "dataset": "Dataset", "online": "Web page", "misc": ""}


def _howpublished(source: Source) -> str:
    parts = [source.genre or MISC_KIND.get(source.type, ""), source.place, source.publisher]
    text = ", ".join(escape(p) for p in parts if p)
    if source.url:  # classic styles print no url field: the address goes here, as text
        text = f"{text}. {escape(source.url)}" if text else escape(source.url)
    return text


def entry(source: Source) -> str:
    entry_type = CLASSIC_TYPES.get(source.type, "misc")
    if entry_type == "article" and not source.publisher:
        entry_type = "misc"  # an article without its journal cannot be a classic @article
    fields: list[tuple[str, str]] = []
    if source.authors:
        fields.append(("author", author_field(source)))
    else:
        fields.append(("key", escape(source.title)))
    fields.append(("title", f"{{{escape(source.title)}}}"))
    if entry_type == "techreport":
        # classic BibTeX requires an institution: the publisher, else the (first) author
        institution = source.publisher or (source.author_names() or [""])[0]
        fields += [("institution", escape(institution)),
                   ("type", escape(source.genre)), ("number", escape(source.number)),
                   ("address", escape(source.place))]
    elif entry_type in ("book", "incollection"):
        fields += [("publisher", escape(source.publisher)), ("address", escape(source.place))]
    elif entry_type == "article":
        fields += [("journal", escape(source.publisher)), ("number", escape(source.number))]
    else:
        fields.append(("howpublished", _howpublished(source)))
    if source.year:
        fields.append(("year", str(source.year)))
    if not same_address(source.note, source.url):
        fields.append(("note", escape(source.note)))
    if entry_type != "misc":
        fields.append(("url", url_field(source.url)))
    return format_entry(entry_type, source.key, fields)


def bibliography(sources: list[Source]) -> str:
    return "\n".join(entry(s) for s in sources)


def export(job: ExportJob) -> ExportResult:
    sources = works_cited(job.kb, job.claims, job.credit or "both")
    return ExportResult(bibliography(sources), works=len(sources))
