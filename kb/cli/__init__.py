"""The ``kb`` command line: a thin layer over the library.

Each command parses its arguments, calls one library function, renders the
result and maps a ``KbError`` to ``Error: ...`` and an exit code. Command groups
live in their own modules and register themselves on ``app``.
"""

from __future__ import annotations

from typing import Optional

import typer

from kb import __version__

app = typer.Typer(
    name="kb",
    help=(
        "kb: an evidence-citation knowledge base. Atomic claims from policy reports, "
        "each anchored to a verbatim quote and linked to the works it cites.\n\n"
        "Examples:\n\n"
        "  kb search \"going missing\"\n\n"
        "  kb show ctf-0007\n\n"
        "  kb --kb ./my-base stats"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"kb {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_callback(
    ctx: typer.Context,
    kb: Optional[str] = typer.Option(
        None, "--kb", metavar="DIR", envvar="KB_DIR", show_envvar=True,
        help="Knowledge base directory (default: the bundled one).",
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Global options; the subcommand does the work."""
    ctx.obj = {"kb_dir": kb}


# Command modules register themselves on `app` when imported.
from kb.cli import claim, core, export, ingest, links, search, site, verify, vocabulary  # noqa: E402,F401


def main() -> None:
    """Run ``kb``; an argument the parser refuses (a usage error of any command) is one
    ``Error:`` line on stderr and exit 2, like every other bad input."""
    import sys

    try:
        from typer._click import exceptions as click  # recent typer vendors click
    except ImportError:  # older typer depends on click itself
        from click import exceptions as click  # type: ignore[no-redef]

    from kb.cli.common import terminal_safe

    try:
        code = app(standalone_mode=False)
    except click.NoArgsIsHelpError as exc:  # bare `kb` or a bare group: the help, as before
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "kb"
        print(terminal_safe(f"Error: {exc.format_message()} (see '{command} --help')"), file=sys.stderr)
        sys.exit(2)
    except click.ClickException as exc:
        print(terminal_safe(f"Error: {exc.format_message()}"), file=sys.stderr)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
