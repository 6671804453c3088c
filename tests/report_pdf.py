"""A report laid out as PDF reports are, made from the bundled report's text (for tests and benchmarks).

A4; one or two columns; a running header; printed page numbers (starting at a label
other than 1, as reports with a cover do); headings in larger bold type; footnotes in
smaller type at the page foot under a rule, their markers raised and smaller in the
body; long words hyphenated at line ends. The body, footnotes and headings come from
``sources/documents/barnardos2012cutting.txt`` (its footnote texts taken out of the body
and set at the foot of the page where their marker falls).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.store.document import Document

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "sources" / "documents" / "barnardos2012cutting.txt"
CLAIMS = ROOT / "claims" / "barnardos2012cutting.yaml"
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/share/fonts/TTF"), Path("/Library/Fonts")]
RUNNING_HEADER = "Cutting them free: how is the UK progressing?"
FIRST_PAGE_LABEL = 3

MM_BODY, MM_NOTE, MM_MARK, MM_HEAD = 10, 7.5, 6, 13


@dataclass
class Block:
    kind: str  # "heading" | "para"
    words: list[str]
    """Words; a footnote marker is "\\x01N" glued after the word it follows."""


@dataclass
class Source:
    blocks: list[Block] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)


def report_source(max_blocks: int | None = None) -> Source:
    """The bundled report as headings, paragraphs (markers inline) and footnote texts."""
    import yaml

    doc = Document.read("barnardos2012cutting", REPORT)
    text = doc.text
    notes = doc.footnotes
    sections = {c["section"] for c in yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))["claims"]}
    cut = sorted((n.start, n.end) for n in notes.values())
    markers = {n.marker: number for number, n in notes.items() if n.marker is not None}
    body = []
    pos = 0
    for start, end in cut:
        body.append((pos, start))
        pos = end
    body.append((pos, len(text)))
    out = []
    for s, e in body:
        i = s
        while i < e:
            if i in markers:
                number = markers[i]
                out.append(f"\x01{number}")
                i += len(str(number))
                continue
            out.append(text[i])
            i += 1
    plain = "".join(out)
    source = Source(notes={n: note.text for n, note in notes.items()})
    for chunk in re.split(r"\n[ \t]*\n", plain):
        lines = [ln.strip() for ln in chunk.splitlines() if ln.strip()]
        if not lines:
            continue
        joined = ""
        for line in lines:
            if joined[-1:] in "-\u2013" and joined[-2:-1].isalnum():
                joined += line  # a compound broken at the line end stays one word
            else:
                joined = f"{joined} {line}" if joined else line
        words = joined.replace("\x01", " \x01").split()
        merged: list[str] = []
        for w in words:  # a marker glues to the word before it
            if w.startswith("\x01") and merged:
                merged[-1] += w
            else:
                merged.append(w)
        title = " ".join(w for w in merged if not w.startswith("\x01"))
        kind = "heading" if title in sections and len(title) < 90 else "para"
        source.blocks.append(Block(kind, merged))
        if max_blocks and len(source.blocks) >= max_blocks:
            break
    return source


def _font_files() -> dict[str, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSerif.ttf", folder / "DejaVuSerif-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return {"": regular, "B": bold}
    return None


_LATIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                        "\u2014": "-", "\u2026": "...", "\u00a0": " "})


def make_report_pdf(path: Path, *, columns: int = 2, max_blocks: int | None = None,
                    title: str = "Cutting them free", author: str = "Barnardo's") -> dict:
    """Write the report PDF to ``path``; returns what was laid out (pages, notes, body text)."""
    from fpdf import FPDF

    source = report_source(max_blocks)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creation_date(__import__("datetime").datetime(2012, 3, 1, tzinfo=__import__("datetime").timezone.utc))
    fonts = _font_files()
    if fonts:
        for style, file in fonts.items():
            pdf.add_font("Serif", style, str(file))
        family, clean = "Serif", (lambda s: s)
    else:  # core fonts are Latin-1: fold typographic quotes and dashes
        family, clean = "Times", (lambda s: s.translate(_LATIN).encode("latin-1", "replace").decode("latin-1"))
    left, right, top, bottom = 20.0, 20.0, 22.0, 282.0
    gutter = 8.0
    width = 210 - left - right
    col_w = (width - gutter * (columns - 1)) / columns
    line_h, note_h = 4.6, 3.4
    state = {"page": 0, "col": 0, "y": top, "notes": [], "col_bottom": [top] * columns}
    layout = {"pages": 0, "notes": [], "labels": []}

    def note_lines(number: int) -> list[str]:
        pdf.set_font(family, "", MM_NOTE)
        return _wrap(pdf, f"{number} {clean(source.notes[number])}".split(), width, lambda w: w)

    def note_height(numbers: list[int]) -> float:
        return sum(len(note_lines(n)) * note_h + 0.8 for n in numbers) + (3.0 if numbers else 0.0)

    def finish_page() -> None:
        if state["page"] == 0:
            return
        notes = state["notes"]
        if notes:
            y = bottom - note_height(notes) + 2.0
            pdf.set_line_width(0.2)
            pdf.line(left, y - 1.5, left + 50, y - 1.5)
            for n in notes:
                for i, ln in enumerate(note_lines(n)):
                    if i == 0:  # the note's number raised and smaller, as its marker in the body
                        num, rest = ln.split(" ", 1)
                        pdf.set_font(family, "", MM_MARK)
                        pdf.text(left, y + 2.3 - 1.0, num)
                        pdf.set_font(family, "", MM_NOTE)
                        pdf.text(left + pdf.get_string_width(num) + 0.8, y + 2.3, rest)
                    else:
                        pdf.set_font(family, "", MM_NOTE)
                        pdf.text(left, y + 2.3, ln)
                    y += note_h
                y += 0.8
        label = str(FIRST_PAGE_LABEL + state["page"] - 1)
        layout["labels"].append(label)
        pdf.set_font(family, "", 8)
        pdf.text(105 - pdf.get_string_width(label) / 2, 291, label)

    def new_page() -> None:
        finish_page()
        pdf.add_page()
        state.update(page=state["page"] + 1, col=0, y=top, notes=[], col_bottom=[top] * columns)
        pdf.set_font(family, "", 8)
        pdf.text(left, 13, clean(RUNNING_HEADER))
        pdf.set_line_width(0.2)
        pdf.line(left, 15, 210 - right, 15)

    def next_column() -> None:
        state["col_bottom"][state["col"]] = state["y"]
        if state["col"] + 1 < columns:
            state.update(col=state["col"] + 1, y=top)
        else:
            new_page()

    def place(line_words: list[str], size: float, style: str, height: float) -> None:
        numbers = [int(n) for w in line_words for n in re.findall(r"\x01(\d+)", w)]
        while True:
            limit = bottom - note_height(state["notes"] + numbers)
            earlier = max(state["col_bottom"][: state["col"]], default=top)
            if state["y"] + height <= limit and earlier <= limit:
                break
            next_column()
        state["notes"] += numbers
        layout["notes"] += numbers
        x = left + state["col"] * (col_w + gutter)
        baseline = state["y"] + height * 0.75
        for i, word in enumerate(line_words):
            parts = word.split("\x01")
            pdf.set_font(family, style, size)
            text = clean(parts[0])
            pdf.text(x, baseline, text)
            x += pdf.get_string_width(text)
            for number in parts[1:]:
                pdf.set_font(family, "", MM_MARK)
                pdf.text(x + 0.2, baseline - 1.6, number)
                x += pdf.get_string_width(number) + 0.2
            pdf.set_font(family, style, size)
            x += pdf.get_string_width(" ")
        state["y"] += height

    new_page()
    for block in source.blocks:
        if block.kind == "heading":
            pdf.set_font(family, "B", MM_HEAD)
            lines = _wrap(pdf, block.words, col_w, clean)
            if state["y"] > top:
                state["y"] += 3.0
            for ln in lines:
                place(ln.split(" "), MM_HEAD, "B", 6.2)
            state["y"] += 1.5
        else:
            pdf.set_font(family, "", MM_BODY)
            for ln in _wrap(pdf, block.words, col_w, clean, hyphenate=True):
                place(ln.split(" "), MM_BODY, "", line_h)
            state["y"] += 2.6
    finish_page()
    layout["pages"] = state["page"]
    pdf.output(str(path))
    layout["source"] = source
    return layout


def _visible(word: str) -> str:
    return re.sub(r"\x01\d+", "", word)


def _wrap(pdf, words: list[str], width: float, clean, hyphenate: bool = False) -> list[str]:
    """Greedy line breaking; a long word that does not fit is hyphenated when ``hyphenate``."""
    lines: list[str] = []
    current = ""
    queue = list(words)
    while queue:
        word = queue.pop(0)
        trial = f"{current} {word}" if current else word
        if pdf.get_string_width(clean(_visible(trial))) <= width:
            current = trial
            continue
        if hyphenate and current and "\x01" not in word and re.fullmatch(r"[A-Za-z]{8,}[,.;:]?", word):
            core = word.rstrip(",.;:")
            for cut in range(len(core) - 3, 3, -1):
                head = f"{current} {core[:cut]}-"
                if pdf.get_string_width(clean(head)) <= width:
                    lines.append(head)
                    current = ""
                    queue.insert(0, word[cut:])
                    break
            else:
                lines.append(current)
                current = word
            continue
        if current:
            lines.append(current)
        current = word
    if current:
        lines.append(current)
    return lines
