"""What the index holds: the Whoosh schema and the document of one claim.

Pure functions of a claim and its cited works (no files, no index): used by the index's
build and update (:mod:`kb.search.index`), in worker processes too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any


# --- schema ------------------------------------------------------------------------


def slug(value: str) -> str:
    """How places, topics, kinds and periods are indexed: ``Northern Ireland`` -> ``northern-ireland``."""
    return "-".join(value.lower().split())


def tune_whoosh() -> None:
    """Cache a segment's *missing* length columns: Whoosh asks the file system (a ``stat()``)
    on every posting of a field without one (the tag fields), 9.5 s of a 20k build."""
    from whoosh.codec import whoosh3

    reader = whoosh3.W3PerDocReader
    if getattr(reader, "_kb_tuned", False):
        return

    def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
        try:
            return self._readers[fieldname]
        except KeyError:
            found = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            self._readers[fieldname] = found
            return found

    reader._cached_reader = _cached_reader
    reader._kb_tuned = True


def make_schema() -> Any:
    from whoosh import analysis, fields, formats

    tune_whoosh()
    stem = analysis.StemmingAnalyzer()
    # A comma-separated list of values, each one token: "Northern Ireland" -> "northern-ireland",
    # so `place:northern-ireland` and `place:"Northern Ireland"` both match it.
    values = (analysis.RegexTokenizer(r"[^,]+") | analysis.StripFilter() | analysis.LowercaseFilter()
              | analysis.SubstitutionFilter(r"\s+", "-"))

    def tags() -> Any:
        # filters only: no frequencies, no field lengths (they would cost time and add nothing)
        return fields.FieldType(formats.Existence(), values, scorable=False)

    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        statement=fields.TEXT(analyzer=stem, stored=True),
        quote=fields.TEXT(analyzer=stem),
        section=fields.TEXT(analyzer=stem),
        cited=fields.TEXT(analyzer=stem),
        kind=tags(),
        place=tags(),
        topic=tags(),
        source=tags(),
        citekey=tags(),
        period=tags(),
        status=tags(),
        document=tags(),
        rel=tags(),
        linked=tags(),
        # Fewer precision levels: the default (shift_step=4) wrote 8 terms per year and 16 per
        # value, 28% of all postings. Years take one level (a range enumerates the few
        # distinct years of a base); values, thousands of distinct numbers, keep 4 levels
        # (shift_step=16), since one level made `value:>=1000` enumerate every value term.
        year=fields.NUMERIC(int, bits=32, signed=False, shift_step=32),
        value=fields.NUMERIC(float, shift_step=16),
        data=fields.STORED,
    )


_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)(?:\s*[-–/]\s*(\d{2,4}))?\b")


def period_years(period: str) -> list[int]:
    """Years a period covers: '2010-11' -> [2010, 2011]; 'March 2011' -> [2011]; '2009-2010' -> [2009, 2010]."""
    years: set[int] = set()
    for m in _YEAR.finditer(period):
        start = int(m.group(1))
        end = start
        if m.group(2):
            tail = m.group(2)
            end = int(tail) if len(tail) == 4 else start - start % 100 + int(tail)
            if not start <= end <= start + 20:
                end = start
        years.update(range(start, end + 1))
    return sorted(years)


def index_numbers(values: Iterable[Any]) -> list[float]:
    """Quantities as the index stores them: floats, +-inf for numbers beyond a float's range
    (10**400 is still "more than 1000"), NaN and non-numbers left out. Never raises."""
    out = []
    for value in values:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf if value > 0 else -math.inf
        except (TypeError, ValueError):
            continue
        if not math.isnan(number):
            out.append(number)
    return out


def _acronym_names(names: Iterable[str], acronyms: dict[str, list[str]]) -> list[str]:
    """Acronyms of organisation names, so `source:moj` finds the Ministry of Justice."""
    def fold(text: str) -> str:
        return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())

    out = []
    for name in names:
        folded = fold(name)
        out += [a for a, expansions in acronyms.items() if folded in {fold(e) for e in expansions}]
    return out


def source_summary(source: Any, acronyms: dict[str, list[str]]) -> dict[str, Any]:
    """What the index keeps about a cited work (a ``kb.model.schema.Source``)."""
    names = [a.family if hasattr(a, "family") else a.name for a in source.authors]
    return {"label": source.label(), "names": names + _acronym_names(names, acronyms),
            "year": source.year, "title": source.title}


# --- links ---------------------------------------------------------------------------

Edges = list[list[str]]
"""A claims file's stored links as the index state keeps them: ``[[source, rel, target], ...]``."""


def claim_edges(claims: Iterable[Any]) -> Edges:
    """The outgoing links of some claims, in order."""
    return [[claim.id, link.rel, link.id] for claim in claims for link in claim.links]


def link_table(edges_by_file: dict[str, Edges]) -> dict[str, dict[str, list[str]]]:
    """Claim id -> ``{"rel": [...], "linked": [...]}``, the ``rel:`` and ``linked:`` filters'
    values: links either way (incoming ones computed from every file's outgoing links),
    as :func:`kb.provenance.links.link_fields` gives them for one claim."""
    rels: dict[str, set[str]] = {}
    linked: dict[str, dict[str, None]] = {}
    for edges in edges_by_file.values():
        for source, rel, target in edges:
            for me, other in ((source, target), (target, source)):
                rels.setdefault(me, set()).add(rel)
                if other != me:
                    linked.setdefault(me, {})[other] = None
    return {cid: {"rel": sorted(found), "linked": list(linked.get(cid, {}))} for cid, found in rels.items()}


def link_hash(fields: dict[str, list[str]] | None) -> str:
    """A short digest of a claim's link fields ("" without links): the tail of its index key,
    so a link added or removed anywhere re-indexes the claims it touches."""
    if not fields:
        return ""
    import hashlib

    text = ",".join(fields["rel"]) + ";" + ",".join(fields["linked"])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def key_links(key: str) -> str:
    """The link digest in an index key (see :func:`claim_document`)."""
    return key.partition("|")[2]


def claim_document(claim: Any, sources: dict[str, dict[str, Any]],
                   links: dict[str, dict[str, list[str]]] | None = None) -> tuple[dict[str, Any], str]:
    """The Whoosh document for a ``kb.model.schema.Claim`` and its index key
    (``fingerprint:status|links``); ``links`` is the base's :func:`link_table`."""
    fingerprint = claim.fingerprint
    review = claim.review
    if review is None:
        status = "unreviewed"
    elif review.fingerprint and review.fingerprint != fingerprint:
        status = "stale"
    else:
        status = review.status
    keys = claim.cited_keys
    cited = [sources.get(k) for k in keys]
    names = [n for s in cited if s for n in s["names"]]
    titles = [s["title"] for s in cited if s]
    quote = claim.quote_text
    years = set(period_years(claim.period))
    years.update(s["year"] for s in cited if s and s["year"])
    cites = []
    for cite in claim.cites:
        summary = sources.get(cite.key)
        cites.append({"key": cite.key, "label": summary["label"] if summary else cite.key,
                      "footnote": cite.footnote, "locator": cite.locator})
    document_source = sources.get(claim.document)
    fields = (links or {}).get(claim.id)
    doc: dict[str, Any] = {
        "id": claim.id,
        "statement": claim.statement,
        "quote": quote,
        "section": claim.section,
        "cited": " ".join(names + titles),
        "kind": claim.kind,
        "place": ",".join(claim.places),
        "topic": ",".join(claim.topics),
        "source": ",".join(keys + names),
        "citekey": ",".join(keys),
        "period": ",".join([claim.period] + [str(y) for y in period_years(claim.period)]) if claim.period else "",
        "status": status,
        "document": claim.document,
        "rel": ",".join(fields["rel"]) if fields else "",
        "linked": ",".join(fields["linked"]) if fields else "",
        "data": {
            "kind": claim.kind, "quote": quote, "section": claim.section, "places": list(claim.places),
            "topics": list(claim.topics), "period": claim.period, "cites": cites, "status": status,
            "fingerprint": fingerprint, "document": claim.document, "years": sorted(years),
            "document_label": document_source["label"] if document_source else claim.document,
        },
    }
    if years:
        doc["year"] = sorted(years)
    values = index_numbers(q.value for q in claim.quantities)
    if values:
        doc["value"] = values
    return doc, f"{fingerprint}:{status}|{link_hash(fields)}"


# --- acronyms ------------------------------------------------------------------------

def acronyms() -> dict[str, list[str]]:
    """Acronym (lower case) -> expansions (lower case), as search matches them."""
    from kb.search.acronyms import acronym_table

    return {key.lower(): [e.lower() for e in expansions] for key, expansions in acronym_table().items()}


_WORD = re.compile(r"\w+(?:['’]\w+)*")


def text_words(text: str) -> set[str]:
    """Words as written (lower case), for spelling suggestions and fuzzy/wildcard expansion."""
    return {w for w in _WORD.findall(text.lower()) if not w.isdigit()}
