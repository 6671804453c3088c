"""The README's walk-through ("Your own knowledge base") runs as written, with the output it shows.

Its console blocks are read from the README: each ``$ `` line is a command (a
here-document's lines belong to it), the lines after it are its expected output
(stdout and stderr together). The commands run one after another in one bash, in
an empty directory, with ``kb`` being this checkout's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("<!-- section:own-base", 1)[1].split("<!-- /section:own-base -->", 1)[0]
_HEREDOC = re.compile(r"<<'?(\w+)'?")


def walkthrough_steps() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of every console block of the section, in order."""
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", SECTION, re.DOTALL):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            assert line.startswith("$ "), f"output before any command: {line!r}"
            command = [line[2:]]
            i += 1
            heredoc = _HEREDOC.search(line)
            if heredoc:
                while lines[i] != heredoc.group(1):
                    command.append(lines[i])
                    i += 1
                command.append(lines[i])
                i += 1
            output = []
            while i < len(lines) and not lines[i].startswith("$ "):
                output.append(lines[i])
                i += 1
            steps.append(("\n".join(command), output))
    return steps


def test_the_section_has_the_whole_walk_through() -> None:
    commands = [c.split()[0:3] for c, _ in walkthrough_steps()]
    assert ["kb", "init", "my-base"] in commands
    assert sum(c[:3] == ["kb", "claim", "add"] for c in commands) >= 4
    assert ["kb", "verify"] in commands and ["kb", "export", "--format"] in commands


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    steps = walkthrough_steps()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kb = bin_dir / "kb"
    kb.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import sys; sys.argv[0] = \"kb\"; "
                  "from kb.cli import main; main()' \"$@\"\n")
    kb.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    script = []
    for n, (command, _) in enumerate(steps):
        script.append(f"echo '@@step {n}@@'\n{{ {command}\n}} 2>&1\necho \"@@exit $?@@\"")
    env = {k: v for k, v in os.environ.items() if k not in ("KB_DIR", "COLUMNS")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(ROOT), NO_COLOR="1",
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run(["bash", "-c", "\n".join(script)], check=False, cwd=work, env=env, capture_output=True,
                          text=True, timeout=600)
    outputs = re.split(r"@@step \d+@@\n", done.stdout)[1:]
    assert len(outputs) == len(steps), done.stdout + done.stderr
    for (command, expected), got in zip(steps, outputs):
        body, code = re.match(r"(.*?)@@exit (\d+)@@\n?\Z", got, re.DOTALL).groups()
        actual = [line.rstrip() for line in body.splitlines()]
        assert actual == [line.rstrip() for line in expected], f"$ {command}"
        failing = bool(expected) and expected[0].startswith("Error:")
        assert int(code) == (2 if failing else 0), f"$ {command}: exit {code}"
