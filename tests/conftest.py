"""Shared fixtures: small knowledge bases in tmp_path and a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli import app

ROOT = Path(__file__).resolve().parent.parent
SMALL_KB = Path(__file__).resolve().parent / "data" / "small-kb"


def copy_kb(source: Path, target: Path) -> Path:
    """Copy a knowledge base's text files (not its index) to ``target``."""
    for part in ("claims", "sources"):
        shutil.copytree(source / part, target / part)
    if (source / "vocabulary.yaml").is_file():
        shutil.copy(source / "vocabulary.yaml", target / "vocabulary.yaml")
    (target / "index").mkdir(exist_ok=True)
    return target


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    """A writable copy of the small fixture base (7 claims, 5 sources of 4 types)."""
    return copy_kb(SMALL_KB, tmp_path / "small-kb")


@pytest.fixture
def bundled_kb(tmp_path: Path) -> Path:
    """A writable copy of the bundled base (the report's claims)."""
    return copy_kb(ROOT, tmp_path / "bundled")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's KB_DIR, colours or cache."""
    monkeypatch.delenv("KB_DIR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


class Result:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    def __repr__(self) -> str:
        return f"Result(exit_code={self.exit_code}, stdout={self.stdout[:300]!r}, stderr={self.stderr[:300]!r})"


@pytest.fixture
def run():
    """Run the real ``kb`` command in-process: ``run("--kb", path, "show", "x")``."""
    runner = CliRunner()

    def invoke(*args: object, input: str | None = None) -> Result:
        result = runner.invoke(app, [str(a) for a in args], input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture
def heals(run):
    """Check a damaged index heals: the next search answers with one notice naming ``why``
    and 'rebuilding it', and the search after it is clean."""

    def check(base: Path, why: str) -> None:
        r = run("--kb", base, "search", "missing")
        assert r.exit_code == 0 and r.stdout.startswith("tst-0003")
        assert r.stderr.count("\n") == 1 and why in r.stderr and "rebuilding it" in r.stderr
        r = run("--kb", base, "search", "missing")
        assert r.exit_code == 0 and r.stderr == ""

    return check
