"""Plain text and Markdown: taken as they are (UTF-8); a Markdown file's YAML front matter gives metadata."""

from __future__ import annotations

import re
from pathlib import Path

from kb.errors import BadInput

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*\n", re.DOTALL)


def extract_text(path: Path) -> tuple[str, dict[str, str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path.name} is not UTF-8 text (byte {exc.start})",
                       hint="convert it to UTF-8 (e.g. iconv -t utf-8) and ingest that") from None
    text = text.replace("\r\n", "\n")
    meta = {"title": "", "author": "", "year": ""}
    m = _FRONT.match(text) if path.suffix.lower() == ".md" else None
    if m:
        import yaml

        try:
            data = yaml.safe_load(m.group(1))
        except yaml.YAMLError:
            data = None
        if isinstance(data, dict):
            author = data.get("author", "")
            meta["title"] = str(data.get("title") or "")
            meta["author"] = "; ".join(map(str, author)) if isinstance(author, list) else str(author or "")
            year = re.search(r"\d{4}", str(data.get("date") or ""))
            meta["year"] = year.group(0) if year else ""
    if not text.strip():
        raise BadInput(f"{path.name} has no text", hint="check the file")
    return text, meta
