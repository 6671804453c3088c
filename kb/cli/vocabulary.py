"""``kb vocabulary``: the kinds, places and topics claims may use; add a place or topic to the base's own file."""

from __future__ import annotations

import typer

from kb.cli import app
from kb.cli.common import console, handles_errors, kb_dir, print_json

vocabulary_app = typer.Typer(
    name="vocabulary",
    help=(
        "The controlled vocabularies: kinds, places, topics. A base's vocabulary.yaml extends "
        "kb's default.\n\n"
        "Example: kb vocabulary add place Northtown --description \"the town of Northtown\""
    ),
    add_completion=False,
    rich_markup_mode=None,
    invoke_without_command=True,
)
app.add_typer(vocabulary_app, name="vocabulary")


def _root(ctx: typer.Context):
    from kb.store.locate import resolve_root

    return resolve_root(kb_dir(ctx))


@vocabulary_app.callback()
def vocabulary_default(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Without a subcommand: list as JSON."),
) -> None:
    """Without a subcommand: list the vocabularies (as 'kb vocabulary list')."""
    if ctx.invoked_subcommand is None:
        list_vocabulary(ctx, as_json=as_json)


@vocabulary_app.command("list")
@handles_errors
def list_vocabulary(ctx: typer.Context,
                    as_json: bool = typer.Option(False, "--json", help="Print JSON: {kinds, places, topics}, "
                                                 "each a list of {name, description, own}.")) -> None:
    """List every kind, place and topic with its description; '*' marks those of the base's own vocabulary.yaml.

    Example: kb vocabulary list
    """
    from kb.store.vocabulary import list_terms

    terms = list_terms(_root(ctx))
    if as_json:
        print_json({name: [t.to_dict() for t in found] for name, found in terms.items()})
        return
    out = console()
    for name, found in terms.items():
        out.print(name.capitalize(), style="bold")
        width = max((len(t.name) for t in found), default=0)
        for t in found:
            out.print(f"  {'*' if t.own else ' '} {t.name:<{width}}  {t.description}")
    out.print("* from this base's vocabulary.yaml; the rest is kb's default", style="dim")


@vocabulary_app.command("add")
@handles_errors
def add(
    ctx: typer.Context,
    field: str = typer.Argument(..., metavar="FIELD", help="place or topic (kinds are fixed)."),
    value: str = typer.Argument(..., metavar="VALUE", help="The new name, as claims will write it."),
    description: str = typer.Option("", "--description", "-d", metavar="D", help="One line saying what it covers."),
) -> None:
    """Add a place or a topic to the base's own vocabulary.yaml (created if need be; comments kept).

    Example: kb vocabulary add topic reading --description "reading for pleasure"
    """
    from kb.store.vocabulary import add_term

    root = _root(ctx)
    path = add_term(root, field, value, description)
    console().print(f"Added {field} '{value}' to {path.relative_to(root)}")
