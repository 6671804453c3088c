"""Time `kb verify` (load + every check) on a knowledge base; the goal: well under a second
for the bundled base.

Usage:
    python benchmarks/verify_bench.py            # the bundled base
    python benchmarks/verify_bench.py /tmp/kb-5k # e.g. one made by benchmarks/make_corpus.py
"""

from __future__ import annotations

import sys
import time

from kb.provenance.verify import verify
from kb.store.loader import load_kb


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else None
    start = time.perf_counter()
    kb = load_kb(path, strict=False)
    loaded = time.perf_counter()
    report = verify(kb)
    done = time.perf_counter()
    summary = report.summary()
    print(f"{kb.root}: {len(kb.claims)} claims, {len(kb.sources)} sources, {len(kb.document_keys)} document(s)")
    print(f"load {loaded - start:.3f} s, checks {done - loaded:.3f} s, total {done - start:.3f} s; "
          f"{summary['errors']} error(s), {summary['warnings']} warning(s)")


if __name__ == "__main__":
    main()
