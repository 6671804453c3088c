"""The domain acronyms of ``kb/data/acronyms.yaml`` (CSE, LSCB, MoJ...), read once.

Search expands them both ways; verify accepts them as an organisation's short name
in a footnote. The file is one ``KEY: [expansion, expansion]`` per line, read here
without a YAML parser (``kb search`` starts ~15 ms faster); any other shape falls
back to PyYAML.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "data" / "acronyms.yaml"
_FLOW_LINE = re.compile(r"^([A-Za-z][\w-]*):\s*\[([^\[\]{}\"#]*)\]\s*(?:#.*)?$")


def _read_flow_mapping(text: str) -> dict[str, object]:
    """``KEY: [a, b]`` lines; items may not contain commas (YAML would split them too)."""
    table: dict[str, object] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _FLOW_LINE.match(line)
        if m is None or re.search(r"(?:^|,)\s*'", m.group(2)):
            import yaml

            return yaml.safe_load(text) or {}
        table[m.group(1)] = [item.strip() for item in m.group(2).split(",") if item.strip()]
    return table


@lru_cache(maxsize=1)
def acronym_table() -> dict[str, tuple[str, ...]]:
    """Acronym as written (``MoJ``) -> its expansions as written, spaces collapsed."""
    raw = _read_flow_mapping(PATH.read_text(encoding="utf-8"))
    table: dict[str, tuple[str, ...]] = {}
    for key, expansions in raw.items() if isinstance(raw, dict) else []:
        values = expansions if isinstance(expansions, list) else [expansions]
        table[str(key)] = tuple(" ".join(str(e).split()) for e in values if e)
    return table
