"""``ris``: the works the claims cite and their documents, as RIS records.

Each line is a two-letter tag, two spaces, a hyphen, a space and the value;
``TY`` opens a record and ``ER`` closes it. An organisation is written without
a comma, which reference managers read as one (corporate) name.
"""

from __future__ import annotations

from kb.cite.citations import works_cited
from kb.model.schema import Organisation, Source
from kb.publish.exporters import ExportJob, ExportResult

RIS_TYPES = {
    "report": "RPRT", "legislation": "STAT", "dataset": "DATA", "online": "ELEC",
    "book": "BOOK", "article": "JOUR", "incollection": "CHAP", "misc": "GEN",
}


def _line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(value.split())}"


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
    for tag, value in (("M3", source.genre), ("PB", source.publisher), ("CY", source.place),
                       ("M1", source.number), ("UR", source.url), ("N1", source.note)):
        if value:
            lines.append(_line(tag, value))
    if source.et_al:
        lines.append(_line("N1", "The author list continues: et al."))
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


def export(job: ExportJob) -> ExportResult:
    return ExportResult("\n".join(record(s) for s in works_cited(job.kb, job.claims)))
