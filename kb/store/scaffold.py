"""Creating a new, empty knowledge base (``kb init``)."""

from __future__ import annotations

from pathlib import Path

from kb.errors import BadInput, WriteError

EXAMPLE_CLAIMS = """\
# Claims taken from one document live in claims/<key>.yaml, <key> being the document's
# BibTeX key. This file is an example, all comments: kb reads no claim from it (delete
# it when you like). 'kb ingest report.pdf --key <key> ...' writes the document's text
# (sources/documents/<key>.txt), its entry in sources/references.bib and an empty
# claims/<key>.yaml; 'kb claim add --doc <key> --quote ... --statement ... --kind ...'
# appends claims to it, checked as 'kb verify' checks them. A claim looks like this:
#
# document: smith2020report          # BibTeX key of the document
# claims:
# - id: smr-0001                     # stable: never reused or renumbered
#   statement: >-                    # one fact, self-contained: subject, place, period
#     The report's authors surveyed 120 services in England in 2019.
#   kind: statistic                  # statistic | definition | finding | trend | event |
#                                    # policy | recommendation | indicator
#   quote: "we surveyed 120 services in England in 2019"   # verbatim from the document
#   section: Introduction
#   cites: []                        # e.g. [{key: jones2018study, footnote: 3, locator: "p. 12"}]
#   quantities:
#   - {value: 120, unit: services, period: "2019", place: England}
#   places: [England]
#   period: "2019"
#   topics: [services]
"""

EXAMPLE_BIB = """\
% The bibliography: one entry for each document of this base and every work it cites.
% Organisations as authors go in double braces: author = {{Barnardo's}}.
% Types: report (with institution), legislation, dataset, online, book, article.
% Example, to copy without the leading '% ' and with an at-sign before 'report':
%
% report{smith2020report,
%   author      = {Smith, J. and Jones, A.},
%   title       = {A report},
%   year        = {2020},
%   institution = {An Institute},
%   address     = {London},
% }
"""


EXAMPLE_VOCABULARY = """\
# This base's own vocabulary. It EXTENDS kb's default vocabulary (see it all with
# 'kb vocabulary'): name here only what the default lacks. As long as this file
# holds only comments, the default applies as it is.
#
# Add entries with 'kb vocabulary add place|topic NAME --description TEXT', or by
# hand, each as name: description. Kinds are fixed (statistic, definition, finding,
# trend, event, policy, recommendation, indicator): a base may describe them, not add.
#
# places:
#   Northtown: the town of Northtown and its council
# topics:
#   reading: reading for pleasure and literacy schemes
"""


def create_knowledge_base(directory: Path) -> list[Path]:
    """Lay out an empty base in ``directory`` (new or empty); returns the files made."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BadInput(f"cannot create a knowledge base in {directory}: it exists and is not an empty directory",
                       hint="choose a new directory")
    files = {
        directory / "claims" / "example.yaml": EXAMPLE_CLAIMS,
        directory / "vocabulary.yaml": EXAMPLE_VOCABULARY,
        directory / "sources" / "references.bib": EXAMPLE_BIB,
        directory / "sources" / "documents" / ".gitkeep": "",
        directory / "index" / ".gitignore": "# the Whoosh index is generated: never commit it\n*\n!.gitignore\n",
    }
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise WriteError(f"cannot create a knowledge base in {directory}: {exc.strerror or exc}",
                         hint="check the parent directory exists and is writable") from exc
    return list(files)
