"""Time ``kb site`` (load, pages, exports, Pagefind) on the bundled base and on a generated one.

Goals (issue 14): the bundled base in <= 10 s, a 20,000-claim base in <= 120 s, Pagefind included.

Usage:
    python benchmarks/bench_site.py                    # the bundled base
    python benchmarks/bench_site.py --claims 20000     # a base made by benchmarks/make_corpus.py
    python benchmarks/bench_site.py /tmp/kb-20k        # an existing base
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"bundled": 10.0, "20k": 120.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", type=Path, help="the knowledge base (default: the bundled one)")
    parser.add_argument("--claims", type=int, help="generate a base of this many claims first")
    args = parser.parse_args(argv)
    from kb.publish.site import build_site
    from kb.store.loader import load_kb

    work = Path(tempfile.mkdtemp(prefix="kb-bench-site-"))
    try:
        base = args.base
        if args.claims:
            base = work / f"kb-{args.claims}"
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_corpus.py"), "--claims",
                            str(args.claims), str(base)], check=True, stdout=subprocess.DEVNULL)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)  # make_corpus.py is not timed
        start, cpu_start = time.perf_counter(), time.process_time()
        kb = load_kb(base)
        result = build_site(kb, work / "site")
        total = time.perf_counter() - start
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        pagefind_cpu = child.ru_utime + child.ru_stime - before.ru_utime - before.ru_stime
        cpu = time.process_time() - cpu_start + pagefind_cpu  # this process and Pagefind
        pages = result.seconds - result.pagefind_seconds
        goal = GOALS["20k"] if len(kb) > 1000 else GOALS["bundled"]
        size = sum(p.stat().st_size for p in (work / "site").rglob("*") if p.is_file())
        print(f"{kb.root}: {len(kb)} claims, {len(kb.sources)} sources -> {result.pages} pages, "
              f"{size / 1e6:.1f} MB")
        print(f"total {total:.1f} s (load {total - result.seconds:.1f} s, pages and exports {pages:.1f} s, "
              f"Pagefind {result.pagefind_seconds:.1f} s); CPU {cpu:.1f} s; goal <= {goal:.0f} s: "
              f"{'met' if total <= goal else 'MISSED'}")
        return 0 if total <= goal else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
