"""The text of a document: anchoring quotes, footnotes and the numbers it states.

Documents are text extracted from PDFs: line breaks, line-break hyphenation and
footnotes interleave with the body. Matching a quote tolerates whitespace,
line-break hyphenation, curly versus straight quotes and dashes, footnote markers
of the ``[^12]`` convention (present, bare "12" or absent in the quote), and nothing
else. Anchors follow the W3C Web Annotation selectors: a TextPositionSelector
(``start``/``end``, character offsets into the file's text) and a
TextQuoteSelector (``exact`` plus a short ``prefix``/``suffix``).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

# Characters folded together when matching; each maps one character to one.
_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ",
})
_SOFT = "\u00ad"  # stands, in the folded text, for a hyphen at a line break
_MARK = "\ue000"  # stands, in the folded text, for the "[^" of a footnote marker "[^12]"
_LINE_BREAK_HYPHEN = re.compile(r"-[ \t]*\r?\n\s*")
_WHITESPACE = re.compile(r"\s+")
CONTEXT = 32
"""Characters of prefix and suffix kept with an anchor."""


@dataclass(frozen=True)
class Anchor:
    """Where a quote (or one fragment of it) sits in its document."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "exact": self.exact,
            "prefix": self.prefix,
            "suffix": self.suffix,
        }


@dataclass(frozen=True)
class Footnote:
    """A footnote: its number, text and where its marker and text sit."""

    number: int
    text: str
    start: int
    """Offset of the footnote's text (its number included)."""
    end: int
    marker: int | None
    """Offset of the marker in the body, when found."""


@dataclass(frozen=True)
class NumberMention:
    """A number written in digits in the document."""

    start: int
    end: int
    text: str
    role: str = "body"
    """``body`` (footnote text included), ``footnote-marker`` (the superscript in the
    body) or ``footnote-number`` (the number that starts a footnote)."""


def fold_text(text: str) -> str:
    """The form quotes are compared in: quotes and dashes folded, spaces collapsed."""
    return _WHITESPACE.sub(" ", text.translate(_FOLD)).strip()


@dataclass
class Document:
    """One document's text with the machinery to anchor quotes in it."""

    key: str
    text: str
    path: Path | None = None
    _folded: str = field(init=False, repr=False, default="")
    _offsets: list[int] = field(init=False, repr=False, default_factory=list)
    _patterns: dict[str, re.Pattern[str] | None] = field(init=False, repr=False, default_factory=dict)
    _has_markers: bool = field(init=False, repr=False, default=False)

    @classmethod
    def read(cls, key: str, path: Path) -> Document:
        """Read a document's text, strictly as UTF-8; BadInput (exit 2) naming the file and the
        byte offset when it cannot be decoded, or when it is no regular file (never opened then)."""
        import os
        import stat

        from kb.errors import BadInput

        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise BadInput(f"document {path} is not a regular file", hint="replace it with the document's text")
            data = path.read_bytes()
        except OSError as exc:
            raise BadInput(f"cannot read document {path} ({exc.strerror or exc})",
                           hint="check the file exists and is readable") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise BadInput(f"document {path} is not UTF-8 text: byte {exc.start} (0x{data[exc.start]:02x}, "
                           f"line {line}) cannot be decoded",
                           hint="convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
        return cls(key=key, text=text, path=path)

    def __post_init__(self) -> None:
        self._fold()

    def _fold(self) -> None:
        """Fold the text once, remembering each folded character's offset in the original."""
        out: list[str] = []
        offsets: list[int] = []
        text = self.text.translate(_FOLD)
        i, n = 0, len(text)
        pending_space = -1
        while i < n:
            ch = text[i]
            if ch == "[" and (m := _NOTE_MARKER.match(text, i)) is not None and not _is_note_def(text, i):
                # "[^12]" folds to a mark and its digits: a quote may give the marker, its bare
                # number ("care.12") or nothing at all ("care. The") and still match
                self._has_markers = True
                out.append(_MARK)
                offsets.append(i)
                for j in range(m.start(1), m.end(1)):
                    out.append(text[j])
                    offsets.append(j)
                i = m.end()
                continue
            # Only a real hyphen glued to a word ends a line as hyphenation; a dash
            # after a space ("exploitation –") is punctuation and is kept.
            if ch == "-" and pending_space < 0:
                m = _LINE_BREAK_HYPHEN.match(text, i)
                if m and out and out[-1].isalnum():
                    # A hyphen may be hyphenation (dropped or kept); a glued en or em
                    # dash ("2009–\n10") is kept, and the line break after it is no space.
                    out.append(_SOFT if self.text[i] == "-" else "-")
                    offsets.append(i)
                    i = m.end()
                    pending_space = -1
                    continue
            if ch.isspace():
                if pending_space < 0:
                    pending_space = i
                i += 1
                continue
            if pending_space >= 0:
                if out:
                    out.append(" ")
                    offsets.append(pending_space)
                pending_space = -1
            out.append(ch)
            offsets.append(i)
            i += 1
        self._folded = "".join(out)
        self._offsets = offsets

    def _pattern(self, quote: str) -> re.Pattern[str] | None:
        if quote in self._patterns:
            return self._patterns[quote]
        folded = fold_text(_NOTE_MARKER.sub("", quote.replace(_SOFT, "").replace(_MARK, "")))
        if not folded:
            self._patterns[quote] = None
            return None
        parts: list[str] = []
        for i, ch in enumerate(folded):
            if ch == "-":
                parts.append(f"[-{_SOFT}]")
            elif ch == " ":
                # "exploi- tation": a quote copied with the line break turned into a
                # space after the hyphen; the space is whitespace, so it may be absent.
                hyphen = i > 1 and folded[i - 1] == "-" and folded[i - 2].isalnum()
                parts.append(" ?" if hyphen else " ")
            elif self._has_markers:
                # a marker may follow any character; a digit may be a marker's bare number
                parts.append(("" if not ch.isdigit() else f"{_MARK}?") + re.escape(ch) + f"{_SOFT}?(?:{_MARK}\\d+)??")
            else:
                parts.append(re.escape(ch) + f"{_SOFT}?")
        pattern = self._patterns[quote] = re.compile("".join(parts))
        return pattern

    def _search(self, pattern: re.Pattern[str], pos: int) -> Anchor | None:
        m = pattern.search(self._folded, pos)
        if m is None:
            return None
        end = m.end()
        # a trailing soft hyphen belongs to the next word, not to the quote
        while end > m.start() and self._folded[end - 1] == _SOFT:
            end -= 1
        stop = self._offsets[end - 1] + 1
        if self._has_markers and self.text.startswith("]", stop) and _OPEN_MARKER.search(self.text, max(0, stop - 12), stop):
            stop += 1  # a quote ending in a marker's number ends after the whole marker
        return self._anchor(self._offsets[m.start()], stop)

    def find_all(self, quote: str) -> list[Anchor]:
        """Every place the quote occurs, in order (overlapping occurrences included)."""
        pattern = self._pattern(quote)
        anchors: list[Anchor] = []
        pos = 0
        while pattern is not None and (anchor := self._search(pattern, pos)) is not None:
            anchors.append(anchor)
            pos = bisect_left(self._offsets, anchor.start) + 1
        return anchors

    def find(self, quote: str, after: int = 0) -> Anchor | None:
        """The first place the quote occurs at or after offset ``after``."""
        pattern = self._pattern(quote)
        if pattern is None:
            return None
        return self._search(pattern, bisect_left(self._offsets, after))

    def anchor_fragments(self, fragments: list[str]) -> list[Anchor | None]:
        """Anchor each fragment, in order: each is looked for after the previous one."""
        anchors: list[Anchor | None] = []
        after = 0
        for fragment in fragments:
            anchor = self.find(fragment, after)
            if anchor is None and after:
                anchor = self.find(fragment)  # out of order: still say where it is
            anchors.append(anchor)
            if anchor is not None:
                after = anchor.end
        return anchors

    def _anchor(self, start: int, end: int) -> Anchor:
        return Anchor(
            start=start,
            end=end,
            exact=self.text[start:end],
            prefix=self.text[max(0, start - CONTEXT):start],
            suffix=self.text[end:end + CONTEXT],
        )

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return self.text.count("\n", 0, offset) + 1

    def paragraph_around(self, start: int, end: int) -> tuple[int, int]:
        """Offsets of the paragraph (text between blank lines) holding [start, end)."""
        para_start = 0
        for m in _BLANK_LINE.finditer(self.text, 0, start):
            para_start = m.end()
        m = _BLANK_LINE.search(self.text, end)
        return para_start, m.start() if m else len(self.text)

    # --- footnotes -------------------------------------------------------------

    @cached_property
    def footnotes(self) -> dict[int, Footnote]:
        """Footnotes numbered 1, 2, 3... found in order, with their markers.

        A footnote's text is the line that starts with its number, plus the lines
        that continue it: after a full-width line (footnotes run wider than the
        body's columns) the next non-blank line continues it when it is also
        full-width, or when it ends the citation (ends with a full stop and
        either the text so far is unfinished or the line reads ", Place.").
        """
        if _NOTE_DEF.search(self.text):
            return self._pandoc_footnotes()
        lines = self.text.splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        found: dict[int, Footnote] = {}
        number, i = 1, 0
        while i < len(lines):
            m = re.match(rf"\s*{number}\s+(?=\S)", lines[i])
            if not m:
                i += 1
                continue
            j = i
            text = lines[i][m.end():].strip()
            while len(lines[j].rstrip()) > _WIDE:
                k = j + 1
                while k < len(lines) and not lines[k].strip():
                    k += 1
                if k >= len(lines) or re.match(rf"\s*{number + 1}\s+\S", lines[k]):
                    break
                candidate = lines[k].strip()
                if len(lines[k].rstrip()) > _WIDE:
                    text, j = f"{text} {candidate}", k
                    continue
                if candidate.endswith(".") and (not text.endswith(".") or _PLACE_END.search(candidate)):
                    text, j = f"{text} {candidate}", k
                break
            start = starts[i] + len(lines[i]) - len(lines[i].lstrip())
            end = starts[j] + len(lines[j].rstrip())
            found[number] = Footnote(number, " ".join(text.split()), start, end, None)
            number += 1
            i = j + 1
        return self._with_markers(found)

    def _pandoc_footnotes(self) -> dict[int, Footnote]:
        """Footnotes written as pandoc writes them: ``[^12]`` markers, ``[^12]: text`` lines.

        A footnote's text runs from its ``[^N]:`` line over the lines that follow it,
        up to a blank line; a paragraph indented by four spaces or a tab after a blank
        line continues it. ``start`` and ``marker`` are the offsets of the number's digits.
        """
        text = self.text
        found: dict[int, Footnote] = {}
        spans: list[tuple[int, int]] = []
        for m in _NOTE_DEF.finditer(text):
            number = int(m.group(1))
            end = _note_end(text, m.end())
            body = " ".join(text[m.end():end].split())
            spans.append((m.start(), end))
            if number not in found:  # a number defined twice: the first counts
                found[number] = Footnote(number, body, m.start(1), end, None)
        markers: dict[int, int] = {}
        for m in _NOTE_MARKER.finditer(text):
            number = int(m.group(1))
            if number not in markers and not any(s <= m.start() < e for s, e in spans):
                markers[number] = m.start(1)
        return {n: Footnote(n, note.text, note.start, note.end, markers.get(n))
                for n, note in sorted(found.items())}

    def _with_markers(self, found: dict[int, Footnote]) -> dict[int, Footnote]:
        spans = [(f.start, f.end) for f in found.values()]
        pos = 0
        result = {}
        for number, note in found.items():
            marker = None
            for m in re.finditer(_MARKER.format(number=number), self.text[pos:]):
                at = pos + m.start()
                if not any(s <= at < e for s, e in spans):
                    marker = at
                    pos = at + len(str(number))
                    break
            result[number] = Footnote(number, note.text, note.start, note.end, marker)
        return result

    def footnote_at(self, offset: int) -> Footnote | None:
        for note in self.footnotes.values():
            if note.start <= offset < note.end:
                return note
        return None

    # --- numbers -------------------------------------------------------------

    @cached_property
    def numbers(self) -> list[NumberMention]:
        """Every number written in digits, with footnote markers and numbers told apart."""
        markers = {f.marker for f in self.footnotes.values() if f.marker is not None}
        heads = {f.start for f in self.footnotes.values()}
        mentions = []
        for m in _NUMBER.finditer(self.text):
            role = "body"
            if m.start() in markers:
                role = "footnote-marker"
            elif m.start() in heads:
                role = "footnote-number"
            mentions.append(NumberMention(m.start(), m.end(), m.group(), role))
        return mentions


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# A footnote marker is glued to the word or punctuation before it (not to a digit,
# a dash or a currency sign: "2010-11" and "£11" are no markers) and ends there.
_MARKER = r"(?<=[^\s\d(\-\u2013\u2014/£$€]){number}(?![\w%])"
_WIDE = 60
# The pandoc convention of documents taken in by `kb ingest`: "[^12]" in the body,
# "[^12]: text" at the start of a line for the footnote's text.
_NOTE_MARKER = re.compile(r"\[\^(\d+)\]")
_OPEN_MARKER = re.compile(r"\[\^\d+$")
_NOTE_DEF = re.compile(r"^\[\^(\d+)\]:[ \t]*", re.MULTILINE)
_NOTE_CONTINUED = re.compile(r"\n(?:[ \t]*\n)+(?:    |\t)(?=\S)")


def _is_note_def(text: str, at: int) -> bool:
    return (at == 0 or text[at - 1] == "\n") and _NOTE_DEF.match(text, at) is not None


def _note_end(text: str, pos: int) -> int:
    """Where a pandoc footnote's text that starts at ``pos`` ends (trailing whitespace excluded)."""
    while True:
        blank = re.compile(r"\n[ \t]*\n").search(text, pos)
        next_def = _NOTE_DEF.search(text, pos)
        end = blank.start() if blank else len(text)
        if next_def is not None and next_def.start() < end:
            end = next_def.start()
            break
        if blank is None:
            break
        cont = _NOTE_CONTINUED.match(text, blank.start())
        if cont is None:
            break
        pos = cont.end()
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end
_PLACE_END = re.compile(r",\s+[A-Z][\w’' ]*\.$")
_NUMBER = re.compile(r"(?<!\d)(?<!\d[.,])\d+(?:[.,]\d+)*")
