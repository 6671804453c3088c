"""``biblatex``: the works the claims cite and their documents, as BibLaTeX entries.

For biber and pandoc (which reads a ``.bib`` as BibLaTeX): ``@report`` (with
``institution`` and ``type``), ``@legislation``, ``@dataset``, ``@online``. An
organisation is braced (``{{Barnardo's}}``) so it stays one literal name; titles
are braced so styles keep them as printed. Escaping: kb/publish/exporters/bibtex_common.py.
"""

from __future__ import annotations

from kb.cite.citations import works_cited
from kb.cite.csl import same_address
from kb.model.schema import Source
from kb.publish.exporters import ExportJob, ExportResult
from kb.publish.exporters.bibtex_common import author_field, escape, format_entry, url_field

ENTRY_TYPES = {
    "report": "report", "legislation": "legislation", "dataset": "dataset", "online": "online",
    "book": "book", "article": "article", "incollection": "incollection", "misc": "misc",
}


def entry(source: Source) -> str:
    fields: list[tuple[str, str]] = []
    if source.authors:
        fields.append(("author", author_field(source)))
    if source.year:
        fields.append(("year", str(source.year)))
    fields.append(("title", f"{{{escape(source.title)}}}"))
    fields.append(("type", escape(source.genre)))
    if source.publisher:
        fields.append(("institution" if source.type == "report" else "publisher", escape(source.publisher)))
    fields += [("address", escape(source.place)), ("number", escape(source.number))]
    if not same_address(source.note, source.url):
        fields.append(("note", escape(source.note)))
    fields.append(("url", url_field(source.url)))
    return format_entry(ENTRY_TYPES[source.type], source.key, fields)


def bibliography(sources: list[Source]) -> str:
    return "\n".join(entry(s) for s in sources)


def export(job: ExportJob) -> ExportResult:
    sources = works_cited(job.kb, job.claims, job.credit or "both")
    return ExportResult(bibliography(sources), works=len(sources))
