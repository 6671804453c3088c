"""``docx``: the pandoc export converted by pandoc itself (``pandoc --citeproc -t docx``), one command
to a file a word processor opens. Needs pandoc on PATH (or ``KB_PANDOC``)."""

from __future__ import annotations

from kb.publish.exporters import ExportJob, ExportResult
from kb.publish.exporters.pandoc import convert


def export(job: ExportJob) -> ExportResult:
    return convert(job, "docx")
