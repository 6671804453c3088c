"""What every command shares: the chosen knowledge base, consoles, error handling."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from kb.errors import KbError

F = TypeVar("F", bound=Callable[..., Any])


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (but newline and tab), DEL, and the bidirectional overrides/isolates."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control character but newline and tab shown as a visible escape (``\\x1b``).

    Strings from a base are data: no escape sequence, carriage return or bidi override
    in a claim or a file name may reach the terminal.
    """
    return _CONTROLS.sub(_escape, text)


def _safe_renderable(obj: Any) -> Any:
    """A str or rich ``Text`` with its control characters escaped (a Text keeps its styles)."""
    if isinstance(obj, str):
        return terminal_safe(obj)
    from rich.text import Text

    if not isinstance(obj, Text) or not _CONTROLS.search(obj.plain):
        return obj
    pieces, last = [], 0
    for match in _CONTROLS.finditer(obj.plain):
        pieces.append(obj[last:match.start()])
        escaped = obj[match.start():match.end()]
        escaped.plain = _escape(match)  # keeps the character's style on its escape's first character
        pieces.append(escaped)
        last = match.end()
    pieces.append(obj[last:])
    return Text("").join(pieces)


def console(stderr: bool = False):  # -> rich.console.Console
    """A console: colour on a terminal only, ``NO_COLOR`` respected, no wrapping on a pipe.

    Every str or rich ``Text`` printed through it is passed through :func:`terminal_safe`
    (a Text keeps its styles); kb's own styles (``style=...``) still apply.
    """
    from rich.console import Console

    class SafeConsole(Console):
        def print(self, *objects: Any, **kwargs: Any) -> None:
            super().print(*(_safe_renderable(o) for o in objects), **kwargs)

    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return SafeConsole(
        file=stream,
        no_color=bool(os.environ.get("NO_COLOR")) or not tty,
        highlight=False,
        soft_wrap=not tty,
        emoji=False,
        markup=False,
    )


def fail(error: KbError) -> typer.Exit:
    """Print the one-line error (control characters escaped) and return the Exit to raise."""
    print(terminal_safe(f"Error: {error}"), file=sys.stderr)
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


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def print_json(data: Any) -> None:
    """JSON on stdout; C1 controls and bidi overrides escaped too (json escapes only C0)."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    sys.stdout.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
