"""Benchmark intake: ``kb ingest`` time per PDF page, and pdfplumber beside pypdfium2.

Makes the bundled report as an A4 two-column PDF (tests/report_pdf.py), then:

- ``kb.ingest.ingest`` into a fresh base, ``--runs`` times: median seconds and seconds per page;
- plain text of every page with pdfplumber (``extract_text``) and with pypdfium2
  (``get_text_range``): seconds and character accuracy (rapidfuzz ratio of the folded
  text, footnote markers and hyphenation aside, against the laid-out source).

Usage:
    python benchmarks/bench_ingest.py [--runs 3] [--columns 2]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.ingest import Metadata, ingest
from kb.store.document import fold_text
from kb.store.scaffold import create_knowledge_base
from tests.report_pdf import make_report_pdf, report_source


def _compare(text: str) -> str:
    text = re.sub(r"(?<=[A-Za-z])-\n(?=[a-z])", "", text)
    return fold_text(re.sub(r"(?<=[.,;:’'a-z)])\d{1,2}\b", "", text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--columns", type=int, default=2)
    args = parser.parse_args()
    from rapidfuzz import fuzz

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "report.pdf"
        layout = make_report_pdf(pdf, columns=args.columns)
        pages = layout["pages"]
        times = []
        for run in range(args.runs):
            root = Path(tmp) / f"base{run}"
            create_knowledge_base(root)
            start = time.perf_counter()
            ingest(root, pdf, "report2012", Metadata())
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"kb ingest: {pages} pages, median {median:.2f} s over {args.runs} runs, "
              f"{median / pages * 1000:.0f} ms per page")
        src = report_source()
        source = " ".join(" ".join(b.words) for b in src.blocks) + " " + " ".join(src.notes.values())
        source = fold_text(re.sub(r"\x01\d+", "", source))

        import pdfplumber
        import pypdfium2 as pdfium

        start = time.perf_counter()
        with pdfplumber.open(pdf) as doc:
            plumber = "\n".join(p.extract_text() or "" for p in doc.pages)
        t_plumber = time.perf_counter() - start
        start = time.perf_counter()
        doc = pdfium.PdfDocument(str(pdf))
        pdfium_text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        t_pdfium = time.perf_counter() - start
        for name, text, seconds in (("pdfplumber", plumber, t_plumber), ("pypdfium2", pdfium_text, t_pdfium)):
            ratio = fuzz.ratio(_compare(text), source)
            print(f"{name:<10} plain text: {seconds:.2f} s ({seconds / pages * 1000:.0f} ms/page), "
                  f"characters {ratio:.1f}% of the source (order, headers and notes as each gives them)")


if __name__ == "__main__":
    main()
