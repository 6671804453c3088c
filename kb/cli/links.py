"""``kb links``: typed links between claims (suggest repeated facts, add a link)."""

from __future__ import annotations

import typer

from kb.cli import app
from kb.cli.common import console, handles_errors, load, print_json

links_app = typer.Typer(
    name="links",
    help=(
        "Typed links between claims: repeats, supports, contradicts, updates, qualifies. "
        "'kb verify' checks them; 'kb show ID' lists a claim's links both ways.\n\n"
        "Example: kb links suggest --min-score 85"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(links_app, name="links")

WIDTH = 110
"""Statements are cut to this many characters in the human listing."""


def _short(text: str, width: int = WIDTH) -> str:
    from kb.provenance.links import terminal_safe

    text = terminal_safe(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


@links_app.command("suggest")
@handles_errors
def suggest(
    ctx: typer.Context,
    min_score: float | None = typer.Option(
        None, "--min-score", min=0, max=100, metavar="S",
        help="Only pairs scoring at least S (0-100; default 80, which gave 7 repeats in 8 on the bundled base)."),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Show at most N pairs, best first."),
    as_json: bool = typer.Option(False, "--json", help="Print the pairs as a JSON array."),
) -> None:
    """Pairs of claims that may state the same fact, best first, for a reviewer to confirm.

    Scored by how alike their statements and quotes are (0-100); pairs whose
    statements give different numbers, whose quotes overlap in their document, or
    that are linked already are left out. Confirm a pair with 'kb links add A
    repeats B'. Exit 1 when no pair scores high enough.

    Example: kb links suggest --min-score 85 --json
    """
    from kb.errors import NothingFound
    from kb.provenance.links import DEFAULT_MIN_SCORE, suggest_repeats

    kb = load(ctx)
    cut = DEFAULT_MIN_SCORE if min_score is None else min_score
    pairs = suggest_repeats(kb, min_score=cut, limit=limit)
    if as_json:
        print_json([p.to_dict(kb) for p in pairs])
    if not pairs:
        raise NothingFound(f"no pair of claims scores {cut:g} or more", hint="lower --min-score to see weaker pairs")
    if as_json:
        return
    out = console()
    for pair in pairs:
        out.print(f"{pair.score:5.1f}", style="bold", end="")
        out.print(f"  {pair.a}  {pair.b}", style="cyan")
        for claim_id in (pair.a, pair.b):
            out.print(f"       {claim_id}  {_short(kb.claims[claim_id].statement)}")
    first = pairs[0]
    out.print(f"{len(pairs)} pair(s) scoring {cut:g} or more; confirm one with: "
              f"kb links add {first.a} repeats {first.b}", style="dim")


@links_app.command("add")
@handles_errors
def add(
    ctx: typer.Context,
    claim_id: str = typer.Argument(..., metavar="ID", help="The claim that carries the link, e.g. ctf-0221."),
    rel: str = typer.Argument(..., metavar="REL",
                              help="repeats, supports, contradicts, updates (a newer figure) or qualifies."),
    target: str = typer.Argument(..., metavar="TARGET", help="The other claim, e.g. ctf-0302."),
    note: str = typer.Option("", "--note", metavar="TEXT", help="Why, in a reviewer's words."),
) -> None:
    """Add a typed link to a claim's file; refused when 'kb verify' would reject it.

    Only that claim's lines change. The link is stored once, on ID; TARGET lists it
    as incoming ('kb show TARGET').

    Example: kb links add ctf-0221 repeats ctf-0302 --note "checklist restates the key point"
    """
    from kb.provenance.links import OUTGOING, add_link

    kb = load(ctx)
    link = add_link(kb, claim_id, rel, target, note)
    path = kb.locations[claim_id].path
    try:
        shown = path.relative_to(kb.root)
    except ValueError:
        shown = path
    out = console()
    out.print(claim_id, style="bold cyan", end="")
    out.print(f"  {OUTGOING[link.rel].lower()} {link.id}" + (f" ({_short(link.note, 60)})" if link.note else "")
              + f": recorded in {shown}")
