"""Taking in a report (``kb ingest``): its text, manifest, bibliography entry and empty claims file.

Owns text extraction (``pdf`` with pypdfium2; ``pandoc`` for DOCX, ODT, HTML, EPUB;
``text`` for plain text and Markdown) into the document convention (``[^N]``
markers, ``[^N]: text`` footnotes, ``# `` headings), and the all-or-nothing writing
of a new document (``intake``). May import kb.store, kb.model and kb.errors only.
"""

from kb.ingest.intake import IngestResult, Metadata, extract, ingest

__all__ = ["IngestResult", "Metadata", "extract", "ingest"]
