"""``bibtex``: the works the claims cite and their documents, as BibLaTeX entries.

Types pandoc and biber read correctly: ``@report`` (with ``institution`` and
``type``), ``@legislation``, ``@dataset``, ``@online``. An organisation is
braced (``{{Barnardo's}}``) so it stays one literal name; titles are braced so
styles keep them as printed.
"""

from __future__ import annotations

import re

from kb.cite.citations import works_cited
from kb.model.schema import Organisation, Source
from kb.publish.exporters import ExportJob, ExportResult

ENTRY_TYPES = {
    "report": "report", "legislation": "legislation", "dataset": "dataset", "online": "online",
    "book": "book", "article": "article", "incollection": "incollection", "misc": "misc",
}
_SPECIAL = re.compile(r"([&%#_$])")


def escape(text: str) -> str:
    """TeX's special characters escaped; braces cannot occur (the reader strips them)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def author_field(source: Source) -> str:
    names = [f"{{{escape(a.name)}}}" if isinstance(a, Organisation)
             else escape(f"{a.family}, {a.given}" if a.given else a.family) for a in source.authors]
    if source.et_al:
        names.append("others")
    return " and ".join(names)


def entry(source: Source) -> str:
    fields: list[tuple[str, str]] = []
    if source.authors:
        fields.append(("author", author_field(source)))
    if source.year:
        fields.append(("year", str(source.year)))
    fields.append(("title", f"{{{escape(source.title)}}}"))
    if source.genre:
        fields.append(("type", escape(source.genre)))
    if source.publisher:
        fields.append(("institution" if source.type == "report" else "publisher", escape(source.publisher)))
    for name, value in (("address", source.place), ("number", source.number), ("note", source.note)):
        if value:
            fields.append((name, escape(value)))
    if source.url:
        fields.append(("url", source.url))
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name:<{width}} = {{{value}}}" for name, value in fields)
    return f"@{ENTRY_TYPES[source.type]}{{{source.key},\n{body},\n}}\n"


def bibliography(sources: list[Source]) -> str:
    return "\n".join(entry(s) for s in sources)


def export(job: ExportJob) -> ExportResult:
    return ExportResult(bibliography(works_cited(job.kb, job.claims)))
