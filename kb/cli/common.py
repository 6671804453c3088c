"""What every command shares: the chosen knowledge base, consoles, error handling."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from kb.errors import KbError

F = TypeVar("F", bound=Callable[..., Any])


def console(stderr: bool = False):  # -> rich.console.Console
    """A console: colour on a terminal only, ``NO_COLOR`` respected, no wrapping on a pipe."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(
        file=stream,
        no_color=bool(os.environ.get("NO_COLOR")) or not tty,
        highlight=False,
        soft_wrap=not tty,
        emoji=False,
        markup=False,
    )


def fail(error: KbError) -> typer.Exit:
    """Print the one-line error and return the Exit to raise."""
    print(f"Error: {error}", file=sys.stderr)
    return typer.Exit(error.exit_code)


def handles_errors(fn: F) -> F:
    """Turn a ``KbError`` into ``Error: ...`` on stderr and its exit code; bugs keep their traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KbError as error:
            raise fail(error) from None

    return wrapper  # type: ignore[return-value]


def kb_dir(ctx: typer.Context) -> str | None:
    """The ``--kb`` option given before the subcommand, if any."""
    root = ctx.find_root()
    return (root.obj or {}).get("kb_dir") if root.obj else None


def load(ctx: typer.Context, *, strict: bool = True):  # -> KnowledgeBase
    from kb.store.loader import load_kb

    return load_kb(kb_dir(ctx), strict=strict)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
