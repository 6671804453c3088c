"""Generate a realistic knowledge base of N claims for benchmarks.

The claims borrow the report's own sentences (sources/documents/barnardos2012cutting.txt)
so words, lengths and term frequencies look like the real base; numbers, places,
periods and years are varied, and each claim may cite generated sources. Claims are
split into files of a few hundred, one document per file whose text holds every
quote of that file, so the result is a valid base (``kb verify`` finds the quotes).

Usage:
    python benchmarks/make_corpus.py --claims 20000 /tmp/kb-20k
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "sources" / "documents" / "barnardos2012cutting.txt"
VOCABULARY = ROOT / "kb" / "data" / "vocabulary.yaml"
PER_FILE = 300

FAMILIES = ["Jago", "Pearce", "Coy", "Beckett", "Melrose", "Chase", "Scott", "Harper", "Firmin",
            "Berelowitz", "Shuker", "Hallett", "Brodie", "Kirtley", "Smeaton", "Cockbain", "Brayley",
            "Lillywhite", "Skidmore", "Warrington", "Hanson", "Holmes", "Dodsworth", "Ward", "Barter"]
GIVEN = ["S.", "J.", "M.", "H.", "L.", "C.", "E.", "A.", "R.", "K."]
ORGS = ["Barnardo's", "Ministry of Justice", "Department for Education", "Home Office",
        "Child Exploitation and Online Protection Centre", "Office of the Children's Commissioner",
        "Welsh Government", "Scottish Government", "NSPCC", "Association of Chief Police Officers",
        "Local Government Association", "University of Bedfordshire"]
TITLE_WORDS = ["safeguarding", "children", "young people", "sexual exploitation", "missing from care",
               "grooming", "trafficking", "online abuse", "prosecution", "local partnerships",
               "boys and young men", "looked-after children", "risk indicators", "awareness",
               "specialist services", "criminal justice", "victims and witnesses", "data collection"]
TITLE_SHAPES = ["{a} and {b}: a review", "What's going on with {a}? {b} in practice",
                "Tackling {a}: {b}", "{a}: guidance on {b}", "Cutting through {a}: the case of {b}",
                "Statistics on {a}, {year}", "Out of mind: {a} and {b}"]
SECTIONS = ["Foreword", "Introduction", "2011: A busy year", "Progress in England", "Progress in Wales",
            "Progress in Scotland", "Progress in Northern Ireland", "Prosecution", "Missing children",
            "Boys and young men", "Recommendations", "Conclusion"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")
UNITS = ["young people", "children", "convictions", "per cent", "services", "local authorities",
         "referrals", "cases", "boys", "girls", "police forces", "pounds"]


def report_sentences() -> list[str]:
    text = " ".join(REPORT.read_text(encoding="utf-8").split())
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z‘“])", text)
    return [s for s in sentences if 50 <= len(s) <= 320 and s.count("‘") == s.count("’")]


def make_sources(rng: random.Random, count: int) -> list[dict]:
    sources = []
    for i in range(count):
        year = rng.randint(1995, 2012)
        if rng.random() < 0.4:
            authors = "{" + rng.choice(ORGS) + "}"
            short = authors
        else:
            people = [f"{rng.choice(FAMILIES)}, {rng.choice(GIVEN)}" for _ in range(rng.randint(1, 3))]
            authors = " and ".join(people)
            short = people[0].split(",")[0].lower()
        a, b = rng.sample(TITLE_WORDS, 2)
        title = rng.choice(TITLE_SHAPES).format(a=a, b=b, year=year)
        key = re.sub(r"[^a-z]", "", short.lower())[:12] + f"{year}g{i}"
        kind = rng.choice(["report", "report", "report", "article", "dataset", "book", "online"])
        sources.append({"key": key, "type": kind, "author": authors, "year": year,
                        "title": title[0].upper() + title[1:]})
    return sources


def bib_entry(source: dict) -> str:
    fields = {"author": source["author"], "title": source["title"], "year": str(source["year"])}
    if source["type"] == "article":
        fields["journal"] = "Child Abuse Review"
    elif source["type"] == "online":
        fields["url"] = f"https://example.org/{source['key']}"
    else:
        fields["institution" if source["type"] == "report" else "publisher"] = "Example Press"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    return f"@{source['type']}{{{source['key']},\n{body},\n}}\n"


def vary_numbers(rng: random.Random, sentence: str) -> tuple[str, list[int]]:
    values: list[int] = []

    def swap(match: re.Match) -> str:
        raw = match.group(0)
        if re.fullmatch(r"(19|20)\d\d", raw):
            return str(rng.randint(1998, 2012))
        value = rng.randint(2, 5000)
        values.append(value)
        return f"{value:,}"

    return NUMBER.sub(swap, sentence), values


def make_claim(rng: random.Random, n: int, sentence: str, vocab: dict, sources: list[dict]) -> dict:
    quote, values = vary_numbers(rng, sentence)
    place = rng.choice(list(vocab["places"]))
    year = rng.randint(2000, 2012)
    period = rng.choice([str(year), f"{year}-{(year + 1) % 100:02d}", f"{rng.choice(MONTHS)} {year}"])
    body = quote[0].lower() + quote[1:] if not quote[:2].isupper() else quote
    statement = f"In {place} in {period}, {body.replace('we ', 'Barnardo’s ').replace('our ', 'its ')}"
    claim: dict = {
        "id": f"gen-{n:06d}",
        "statement": statement,
        "kind": "statistic" if values else rng.choice(list(vocab["kinds"])),
        "quote": quote,
        "section": rng.choice(SECTIONS),
        "cites": [],
    }
    for footnote, source in enumerate(rng.sample(sources, rng.choice([0, 0, 1, 1, 2])), start=1):
        claim["cites"].append({"key": source["key"], "footnote": footnote})
    if values:
        claim["quantities"] = [{"value": v, "unit": rng.choice(UNITS), "period": period} for v in values[:3]]
    claim["places"] = rng.sample(list(vocab["places"]), rng.choice([1, 1, 2]))
    claim["period"] = period
    claim["topics"] = rng.sample(list(vocab["topics"]), rng.randint(1, 3))
    if rng.random() < 0.1:
        claim["review"] = {"status": rng.choice(["verified", "disputed", "needs-work"]), "by": "A. Reviewer"}
    return claim


def generate(target: Path, count: int, seed: int = 2012) -> None:
    rng = random.Random(seed)
    vocab = yaml.safe_load(VOCABULARY.read_text(encoding="utf-8"))
    sentences = report_sentences()
    sources = make_sources(rng, max(20, count // 40))
    if target.exists():
        shutil.rmtree(target)
    (target / "claims").mkdir(parents=True)
    (target / "sources" / "documents").mkdir(parents=True)
    (target / "index").mkdir()
    documents = []
    for start in range(0, count, PER_FILE):
        key = f"genreport{start // PER_FILE:04d}"
        documents.append(key)
        claims = [make_claim(rng, n + 1, rng.choice(sentences), vocab, sources)
                  for n in range(start, min(count, start + PER_FILE))]
        text = yaml.safe_dump({"document": key, "claims": claims}, allow_unicode=True, sort_keys=False, width=100)
        (target / "claims" / f"{key}.yaml").write_text(text, encoding="utf-8")
        quotes = "\n\n".join(dict.fromkeys(c["quote"] for c in claims))
        (target / "sources" / "documents" / f"{key}.txt").write_text(quotes + "\n", encoding="utf-8")
    bib = [bib_entry({"key": key, "type": "report", "author": "{Barnardo's}", "year": 2012,
                      "title": f"Generated report {key}"}) for key in documents]
    bib += [bib_entry(source) for source in sources]
    (target / "sources" / "references.bib").write_text("\n".join(bib), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1000, help="number of claims (default 1000)")
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("directory", type=Path, help="where to write the base (replaced if it exists)")
    args = parser.parse_args(argv)
    generate(args.directory, args.claims, args.seed)
    print(f"wrote {args.claims} claims to {args.directory}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
