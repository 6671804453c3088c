"""The sections of a document's text: which heading a passage falls under.

A heading is recognised, in this order of trust:

1. a Markdown ATX heading line, ``# Title`` to ``###### Title`` (the form ``kb ingest``
   writes for PDF headings and pandoc's formats);
2. in a text without such lines (the bundled report's PDF-extracted form), a title
   the base already uses for the document's claims (``section:``), standing at the
   start of a line, possibly over two lines;
3. in such a text, a short block standing alone between blank lines: one or two
   lines, at most :data:`MAX_TITLE` characters, starting with a capital letter or a
   digit, no line ending like a sentence (``.``, ``,``, ``;``, ``?``), no footnote in it.

A passage's section is the last heading that starts before it (or ``None``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kb.store.document import Document, fold_text

MAX_TITLE = 80
_ATX = re.compile(r"^[ ]{0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_BLANK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Heading:
    offset: int
    """Offset of the heading's first character in the document text."""
    title: str
    level: int = 1


def headings(document: Document, known: Iterable[str] = ()) -> list[Heading]:
    """The document's headings in order (see the module docstring for the rules)."""
    text = document.text
    atx = [Heading(m.start(2), m.group(2).strip(), len(m.group(1))) for m in _ATX.finditer(text)
           if not _in_footnote(document, m.start())]
    if atx:
        return atx
    found: dict[int, Heading] = {}
    folded_text = text.translate(_QUOTES)
    for title in {t for t in known if t and t.strip()}:
        words = [re.escape(w) for w in fold_text(title).split()]
        pattern = re.compile(r"(?m)^[ \t]*(" + r"\s+".join(words) + r")[ \t]*$")
        for m in pattern.finditer(folded_text):
            found.setdefault(m.start(1), Heading(m.start(1), title))
    notes = [(n.start, n.end) for n in document.footnotes.values()]
    pos = 0
    for m in [*_BLANK.finditer(text), None]:
        end = m.start() if m else len(text)
        block, block_start = text[pos:end], pos
        pos = m.end() if m else len(text)
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if not lines or len(lines) > 2:
            continue
        title = " ".join(block.split())
        start = block_start + len(block) - len(block.lstrip())
        if (len(title) <= MAX_TITLE and (title[0].isupper() or title[0].isdigit())
                and not any(ln.rstrip()[-1] in ".,;?" for ln in lines) and not re.match(r"\d+\s", title)
                and not any(s < block_start + len(block) and block_start <= e for s, e in notes) and not any(abs(h - start) < 3 for h in found)):
            found[start] = Heading(start, title)
    return [found[k] for k in sorted(found)]


def section_at(document: Document, offset: int, known: Iterable[str] = ()) -> str | None:
    """The title of the heading the text at ``offset`` falls under, or None before the first."""
    found = headings(document, known)
    i = bisect.bisect_right([h.offset for h in found], offset) - 1
    return found[i].title if i >= 0 else None


def _in_footnote(document: Document, offset: int) -> bool:
    return document.footnote_at(offset) is not None


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-", "\u00a0": " "})
