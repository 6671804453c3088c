"""``kb claim add``: a claim from a quote, numbered, cited, checked and appended to its document's file."""

from __future__ import annotations

import sys

import typer

from kb.cli import app
from kb.cli.common import console, handles_errors, kb_dir, print_json, terminal_safe

claim_app = typer.Typer(
    name="claim",
    help=(
        "Add claims to the base.\n\n"
        "Example: kb claim add --doc smith2020report --quote \"we surveyed 120 services\" "
        "--statement \"Smith's team surveyed 120 services.\" --kind statistic"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(claim_app, name="claim")


@claim_app.command("add")
@handles_errors
def add(
    ctx: typer.Context,
    doc: str = typer.Option(..., "--doc", metavar="KEY", help="The document the quote is from (its key)."),
    quote: list[str] = typer.Option(..., "--quote", metavar="TEXT",
                                    help="The quote, verbatim; repeat for fragments, in the document's order."),
    statement: str = typer.Option(..., "--statement", metavar="S",
                                  help="The fact, self-contained; it may add nothing the quote does not carry."),
    kind: str = typer.Option(..., "--kind", metavar="K", help="statistic, definition, finding, trend, event, "
                             "policy, recommendation or indicator."),
    place: list[str] = typer.Option([], "--place", metavar="P", help="A place of the vocabulary (repeatable)."),
    topic: list[str] = typer.Option([], "--topic", metavar="T", help="A topic of the vocabulary (repeatable)."),
    period: str = typer.Option("", "--period", metavar="P", help="The period it concerns, e.g. 2010-11."),
    section: str | None = typer.Option(None, "--section", metavar="S",
                                          help="The section (default: the heading the quote falls under)."),
    cite: list[str] = typer.Option([], "--cite", metavar="KEY[:FOOTNOTE[:LOCATOR]]",
                                   help="A cited work (repeatable); wins over the cite proposed for that footnote."),
    waive: list[str] = typer.Option([], "--waive", metavar="FOOTNOTE:REASON",
                                    help="A footnote marked in the quote that the claim does not rest on, and why."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the claim's YAML; write nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the claim record as JSON."),
) -> None:
    """Add a claim: find the quote, take the next id, propose cites and quantities, check it, append it.

    The id is the next free one of the document's prefix; the section is the heading the
    quote falls under; a footnote marked in the quote is cited when its text names a
    work of references.bib, else waived with a reason that says so (a notice names it);
    numbers of the quote that the statement states become quantities (check their
    units). Nothing is written when the claim would fail kb verify. Prints the new id.

    Example: kb claim add --doc barnardos2012cutting --quote "In 2010-11 we worked with 1,190 young people"
    --statement "Barnardo's worked with 1,190 young people in 2010-11." --kind statistic --place UK --dry-run
    """
    from kb.provenance.claims import add_claim
    from kb.store.locate import resolve_root

    root = resolve_root(kb_dir(ctx))
    added = add_claim(root, dry_run=dry_run, doc=doc, quotes=list(quote), statement=statement, kind=kind,
                      places=list(place), topics=list(topic), period=period, section=section, cites=list(cite),
                      waive=list(waive))
    for notice in added.notices:
        print(terminal_safe(f"Notice: {notice}"), file=sys.stderr)
    if as_json:
        print_json(added.to_dict(root))
    elif dry_run:
        console().print(added.yaml, end="")
    else:
        console().print(added.record["id"])
