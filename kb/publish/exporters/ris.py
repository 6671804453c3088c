"""``ris``: the works the claims cite and their documents, as RIS records.

Each line is a two-letter tag, two spaces, a hyphen, a space and the value;
``TY`` opens a record and ``ER`` closes it. An organisation is written without
a comma, which reference managers read as one (corporate) name.
"""

from __future__ import annotations

import re

from kb.cite.citations import works_cited
from kb.cite.csl import same_address
from kb.model.schema import Organisation, Source
from kb.publish.exporters import ExportJob, ExportResult

RIS_TYPES = {
    "report": "RPRT", "legislation": "STAT", "dataset": "DATA", "online": "ELEC",
    "book": "BOOK", "article": "JOUR", "incollection": "CHAP", "misc": "GEN",
}


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def _line(tag: str, value: str) -> str:
    """One tag line; a value's newlines (and other control characters) become spaces, so no
    value can start a tag line of its own."""
    return f"{tag}  - {' '.join(_CONTROL.sub(' ', str(value)).split())}"


def record(source: Source) -> str:
    lines = [_line("TY", RIS_TYPES[source.type]), _line("ID", source.key)]
    for author in source.authors:
        if isinstance(author, Organisation):
            lines.append(_line("AU", author.name))
        else:
            lines.append(_line("AU", f"{author.family}, {author.given}" if author.given else author.family))
    lines.append(_line("TI", source.title))
    if source.year:
        lines.append(_line("PY", str(source.year)))
    note = "" if same_address(source.note, source.url) else source.note
    for tag, value in (("M3", source.genre), ("PB", source.publisher), ("CY", source.place),
                       ("M1", source.number), ("UR", source.url), ("N1", note)):
        if value:
            lines.append(_line(tag, value))
    if source.et_al:
        lines.append(_line("N1", "The author list continues: et al."))
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


def export(job: ExportJob) -> ExportResult:
    sources = works_cited(job.kb, job.claims, job.credit or "both")
    return ExportResult("\n".join(record(s) for s in sources), works=len(sources))
