"""Every command has help text with an example and is described in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from kb.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(typer.main.get_command(app).commands)


def test_there_are_commands() -> None:
    assert {"stats", "sources", "show", "init"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_ends_with_an_example(run, name: str) -> None:
    r = run(name, "--help")
    assert r.exit_code == 0
    assert "Example" in r.stdout and f"kb {name}" in r.stdout.split("Example")[-1]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_the_readme(name: str) -> None:
    assert f"`kb {name}" in README
    assert f"$ kb {name}" in README, "show a real run of the command in the README"


def test_readme_gives_the_two_commands() -> None:
    assert "pip install -e . && kb search" in README
    assert "pip install -e '.[test]' && pytest" in README
