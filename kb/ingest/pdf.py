"""Text out of a PDF with pypdfium2 (PDFium), laid out for quoting.

Per page: words with their font size and position; raised, smaller digits glued to
a word are footnote markers (written ``[^N]``); the block of smaller-type lines at
the page foot that starts with a number is the footnotes (``[^N]: text``, placed
after the first paragraph that ends a sentence once the page has ended, so a sentence
running over the page stays whole); lines in the top and bottom margins that repeat (digits
ignored) are running headers and footers, and a lone number there is the page's
printed label (the page map uses it). Columns: a vertical gutter that no body line
crosses splits the page, read left column then right. Larger type makes a heading
(``# Title``). Lines keep their breaks and line-end hyphens, as extracted: the
matcher joins ``exploi-\\ntation``.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import BadInput
from kb.store.manifest import PageStart

MARGIN = 0.09
"""Top and bottom share of the page where running headers, footers and page numbers sit."""
_SENTENCE_END = re.compile(r"[.!?:;'’\")\]”]\s*$")
_LABEL = re.compile(r"^(?:page\s+)?(\d{1,4}|[ivxlcdm]{1,7})$", re.IGNORECASE)


@dataclass
class Line:
    words: list[dict]
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    markers: list[dict] = field(default_factory=list)

    def text(self) -> str:
        out = ""
        items = sorted(self.words + self.markers, key=lambda w: w["x0"])
        for w in items:
            if w.get("marker"):
                out += f"[^{w['text']}]"
            else:
                out += (" " if out else "") + w["text"]
        return out


def extractor_version() -> str:
    from pypdfium2 import version

    return f"pypdfium2 {version.PYPDFIUM_INFO} (PDFium {str(version.PDFIUM_INFO).split('@')[0]})"


def _open(path: Path):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise BadInput(f"{path.name} is an encrypted PDF that needs a password",
                           hint="save an unencrypted copy (e.g. qpdf --decrypt) and ingest that") from None
        raise BadInput(f"{path.name} is not a readable PDF ({exc})", hint="check the file is a complete PDF") from None


def metadata(pdf) -> dict[str, str]:
    info = {k.lower(): v.strip() for k, v in pdf.get_metadata_dict().items() if isinstance(v, str) and v.strip()}
    year = re.search(r"(?:D:)?(\d{4})", info.get("creationdate", ""))
    return {"title": info.get("title", ""), "author": info.get("author", ""),
            "year": year.group(1) if year else ""}


def _words(page) -> list[dict]:
    """The page's words, each with its font size and box (top and bottom measured from the page's top).

    A word ends at a space, a line break, a gap, or a change of font size (so a raised
    marker glued to a word is a word of its own).
    """
    from pypdfium2 import raw

    height = page.get_height()
    textpage = page.get_textpage()
    words: list[dict] = []
    current: dict | None = None
    box = raw.FS_RECTF()
    for i in range(textpage.count_chars()):
        code = raw.FPDFText_GetUnicode(textpage.raw, i)
        # PDFium reports a hyphen it takes for line-end hyphenation as U+0002: keep it as printed
        char = "-" if code == 2 else (chr(code) if code >= 32 and code not in (0xFFFE, 0xFFFF) else "")
        if not char or char.isspace() or raw.FPDFText_IsGenerated(textpage.raw, i):
            current = None
            continue
        size = raw.FPDFText_GetFontSize(textpage.raw, i)
        raw.FPDFText_GetLooseCharBox(textpage.raw, i, box)
        left, bottom, right, top = box.left, box.bottom, box.right, box.top
        top, bottom = height - top, height - bottom
        if (current is not None and abs(current["size"] - size) < 0.3 and abs(current["bottom"] - bottom) < 1
                and -1 < left - current["x1"] < size * 0.3):
            current["text"] += char
            current["x1"] = max(current["x1"], right)
            current["top"] = min(current["top"], top)
            continue
        current = {"text": char, "x0": left, "x1": right, "top": top, "bottom": bottom, "size": size}
        words.append(current)
    textpage.close()
    return words


def _lines(words: list[dict]) -> list[Line]:
    """Words grouped into lines: vertically overlapping and near enough side by side (not across a gutter)."""
    lines: list[Line] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        height = max(w["bottom"] - w["top"], 0.1)
        for line in reversed(lines[-12:]):
            overlap = min(line.bottom, w["bottom"]) - max(line.top, w["top"])
            gap = w["x0"] - line.x1 if w["x0"] >= line.x1 else line.x0 - w["x1"]
            if overlap > 0.5 * min(height, line.bottom - line.top) and gap < max(w["size"], line.size, 6) * 1.2:
                line.words.append(w)
                line.x0, line.x1 = min(line.x0, w["x0"]), max(line.x1, w["x1"])
                break
        else:
            lines.append(Line([w], w["top"], w["bottom"], w["x0"], w["x1"], w["size"]))
    for line in lines:
        line.words.sort(key=lambda w: w["x0"])
        line.size = max(w["size"] for w in line.words)
        line.top = min(w["top"] for w in line.words)
        line.bottom = max(w["bottom"] for w in line.words)
    return sorted(lines, key=lambda ln: (ln.top, ln.x0))


def _gutter(lines: list[Line], width: float) -> float | None:
    """An x in the middle of the page that no body line crosses, with text on both sides."""
    if len(lines) < 6:
        return None
    covered = bytearray(int(width) + 2)
    for ln in lines:
        for w in ln.words:
            for x in range(max(int(w["x0"]) + 1, 0), min(int(w["x1"]) + 1, len(covered))):
                covered[x] = 1
    ends = sorted(ln.x1 for ln in lines)
    starts = sorted(ln.x0 for ln in lines)
    best = None
    for x in range(int(width * 0.3), int(width * 0.7)):
        if covered[x]:
            continue
        left = bisect.bisect_right(ends, x)
        right = len(starts) - bisect.bisect_left(starts, x)
        if left >= 3 and right >= 3 and (best is None or min(left, right) > best[0]):
            best = (min(left, right), x)
    return best[1] if best else None


@dataclass
class PageText:
    label: str | None
    body: list[tuple[str, Line | None]]
    """("line", Line) / ("break", None) / ("heading", Line) in reading order."""
    notes: list[tuple[int, str]]


def _page(words: list[dict], width: float, height: float, body_size: float, repeated: set[str]) -> PageText:
    label = None
    small = body_size * 0.85
    normal = [w for w in words if w["size"] >= small]
    tiny = [w for w in words if w["size"] < small]
    # raised small digits right after a body word: footnote markers
    markers, rest = [], []
    for w in tiny:
        host = None
        if re.fullmatch(r"\d{1,3}", w["text"]):
            host = next((n for n in normal if abs(n["x1"] - w["x0"]) < 3 and n["top"] - 2 <= w["top"]
                         and w["bottom"] < n["bottom"] - 0.5), None)
        (markers if host else rest).append(w | {"marker": True, "host": host} if host else w)
    lines = _lines(normal)
    small_lines = _lines(rest)
    # running headers, footers, page numbers
    kept = []
    for ln in lines + small_lines:
        in_margin = ln.bottom < height * MARGIN or ln.top > height * (1 - MARGIN)
        text = ln.text()
        if in_margin and _LABEL.match(text.strip()):
            label = _LABEL.match(text.strip()).group(1)
            continue
        if in_margin and re.sub(r"\d+", "#", text) in repeated:
            continue
        kept.append(ln)
    body_lines = [ln for ln in kept if ln.size >= small]
    foot_top = max((ln.bottom for ln in body_lines), default=0)
    notes_lines = [ln for ln in kept if ln.size < small and ln.top >= foot_top - 1]
    other_small = [ln for ln in kept if ln.size < small and ln.top < foot_top - 1]
    body_lines += other_small
    for m in markers:
        host = m["host"]
        for ln in body_lines:
            if any(w is host for w in ln.words):
                ln.markers.append(m)
                break
    notes = _notes(sorted(notes_lines, key=lambda ln: (ln.top, ln.x0)))
    return PageText(label, _reading_order(body_lines, width, body_size), notes)


def _notes(lines: list[Line]) -> list[tuple[int, str]]:
    notes: list[tuple[int, str]] = []
    for ln in lines:
        text = ln.text()
        m = re.match(r"(\d{1,3})\s*(?=\S)", text)
        if m and (not notes or int(m.group(1)) > notes[-1][0]):
            notes.append((int(m.group(1)), text[m.end():].strip()))
        elif notes:
            notes[-1] = (notes[-1][0], f"{notes[-1][1]}\n{text}")
    return notes


def _reading_order(lines: list[Line], width: float, body_size: float) -> list[tuple[str, Line | None]]:
    gutter = _gutter([ln for ln in lines if ln.size < body_size * 1.15], width)
    if gutter is None:
        columns = [sorted(lines, key=lambda ln: ln.top)]
    else:
        columns = [sorted([ln for ln in lines if ln.x1 <= gutter], key=lambda ln: ln.top),
                   sorted([ln for ln in lines if ln.x0 >= gutter], key=lambda ln: ln.top)]
        spanning = [ln for ln in lines if ln.x0 < gutter < ln.x1]
        columns[0] = sorted(columns[0] + spanning, key=lambda ln: ln.top)
    out: list[tuple[str, Line | None]] = []
    for column in columns:
        previous: Line | None = None
        for ln in column:
            heading = ln.size >= body_size * 1.15
            if previous is not None:
                gap = ln.top - previous.bottom
                if heading or gap > max(previous.size, ln.size) * 0.6 or (out and out[-1][0] == "heading"):
                    out.append(("break", None))
            out.append(("heading" if heading else "line", ln))
            previous = ln
    return out


def extract_pdf(path: Path) -> tuple[str, list[PageStart], dict[str, str]]:
    """The text of the PDF at ``path`` in the document convention, its page map and its metadata."""
    pdf = _open(path)
    try:
        meta = metadata(pdf)
        pages = []
        for index in range(len(pdf)):
            page = pdf[index]
            pages.append((_words(page), page.get_width(), page.get_height()))
            page.close()
    finally:
        pdf.close()
    sizes: Counter[float] = Counter()
    margins: Counter[str] = Counter()
    for words, _width, height in pages:
        for w in words:
            sizes[round(w["size"], 1)] += len(w["text"])
        in_margin = [w | {"size": 0} for w in words
                     if w["bottom"] < height * MARGIN or w["top"] > height * (1 - MARGIN)]
        for text in {re.sub(r"\d+", "#", ln.text()) for ln in _lines(in_margin)}:
            margins[text] += 1
    if not sizes:
        raise BadInput(f"{path.name} has no text layer (a scanned PDF?)",
                       hint="run OCR on it first (e.g. ocrmypdf) and ingest the result")
    body_size = sizes.most_common(1)[0][0]
    repeated = {t for t, n in margins.items() if n >= 2 and n >= len(pages) * 0.3}
    texts = [_page(words, width, height, body_size, repeated) for words, width, height in pages]
    return _assemble(texts), _page_map(texts), meta


def _assemble_parts(texts: list[PageText]) -> tuple[str, list[int]]:
    out: list[str] = []
    length = 0
    starts: list[int] = []
    pending: list[tuple[int, str]] = []

    def emit(s: str) -> None:
        nonlocal length
        out.append(s)
        length += len(s)

    def flush_notes() -> None:
        for number, text in pending:
            emit(f"\n\n[^{number}]: {text}")
        pending.clear()

    for page in texts:
        starts.append(length)
        first = True
        heading_open = False
        for kind, ln in page.body:
            if kind == "break":
                if pending and _SENTENCE_END.search("".join(out[-3:])):
                    flush_notes()  # not inside a sentence broken by a blank line
                if out and not out[-1].endswith("\n\n"):
                    emit("\n\n")
                heading_open = False
                continue
            if ln is None:
                continue
            text = ln.text()
            if kind == "heading":
                if heading_open:
                    emit(" " + text)
                    continue
                if out and not out[-1].endswith("\n\n"):
                    flush_notes()
                    emit("\n\n")
                if first:
                    starts[-1] = length
                    first = False
                emit("# " + text)
                heading_open = True
                continue
            if out and not out[-1].endswith("\n\n"):
                emit("\n")
            if first:
                starts[-1] = length
                first = False
            emit(text)
        pending.extend(page.notes)
    flush_notes()
    return "".join(out).strip("\n") + "\n", starts


def _assemble(texts: list[PageText]) -> str:
    return _assemble_parts(texts)[0]


def _page_map(texts: list[PageText]) -> list[PageStart]:
    _, starts = _assemble_parts(texts)
    pages = []
    previous = -1
    for i, (page, start) in enumerate(zip(texts, starts), start=1):
        start = max(start, previous)
        pages.append(PageStart(page.label or str(i), start))
        previous = start
    return pages
