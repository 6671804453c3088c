"""Building the site: render every page, write the exports, index with Pagefind, swap into place.

The site is built in a hidden sibling directory (``.OUT.*.tmp``) and renamed onto
OUT only when whole, so an interrupted build never leaves a half site posing as
one; OUT is replaced only when it is empty or a previous kb site (it holds the
marker file ``.kb-site``). Every internal link is relative (``root`` is ``""`` or
``"../"``), so the site works from any folder or URL prefix; nothing depends on
the clock or on dict order, so the same base gives the same bytes.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from kb import __version__
from kb.cite.citations import (
    DEFAULT_STYLE,
    Style,
    attach,
    load_style,
    markdown_escape,
    render,
)
from kb.cite.secondary import credit_for
from kb.errors import BadInput, WriteError
from kb.model.schema import Claim
from kb.publish.site import pages
from kb.store.loader import KnowledgeBase

log = logging.getLogger(__name__)

MARKER = ".kb-site"
"""The file that says a directory is a kb site (and may be replaced by the next build)."""
HERE = Path(__file__).resolve().parent
STATIC = ("site.css", "search.js")


@dataclass
class SiteResult:
    out: Path
    pages: int
    """HTML pages written."""
    claims: int
    seconds: float
    pagefind_seconds: float


# --- the output directory ----------------------------------------------------------------


def check_target(out: Path) -> None:
    """BadInput unless OUT is absent, empty, or a previous kb site."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise BadInput(f"the output {out} exists and is not a directory",
                       hint="give a new directory (or a previous kb site) for the site")
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise BadInput(f"the output directory {out} is not empty and is not a kb site (no {MARKER} file in it)",
                       hint="give a new or empty directory; a previous 'kb site' output is replaced")


def _swap(tmp: Path, out: Path) -> None:
    """Put the finished site at OUT; the previous one is removed only once the new one is there."""
    if not out.exists():
        os.rename(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rename(out, old / "site")
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old / "site", out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _base_url(base_url: str) -> str:
    if not base_url:
        return ""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput(f"the base URL '{base_url}' is not an http(s) URL",
                       hint="e.g. --base-url https://example.org/kb/")
    return base_url if base_url.endswith("/") else base_url + "/"


# --- citations, once for the whole base ---------------------------------------------------


@dataclass
class Citations:
    style: Style
    reference: dict[str, Markup]
    """Source key -> its formatted reference in HTML."""
    markdown: dict[str, str]
    """Claim id -> the Markdown export of that claim alone (as ``kb export --id ID --format markdown``)."""
    pandoc: dict[str, str]
    """Claim id -> its pandoc citation, e.g. ``[@jago2011whats; cited in @barnardos2012cutting]``."""


def _signature(claim: Claim) -> tuple[object, ...]:
    """What a claim's citation depends on: its cited works with their locators, and its document."""
    return tuple((c.key, c.locator) for c in claim.cites), claim.document


def _markdown(statement: str, citation: str, references: list[str], is_note: bool) -> str:
    """A claim's Markdown as the ``markdown`` exporter writes it for that claim alone."""
    text = markdown_escape(statement)
    parts = [f"- {text}[^1]", f"[^1]: {citation}"] if is_note else [f"- {attach(text, citation)}"]
    if references:
        parts.append("## References\n\n" + "\n\n".join(references))
    return "\n\n".join(parts) + "\n"


def _name_year(source: Any) -> tuple[object, ...]:
    """What an author-date citation shows of a work: the authors' family names and the year."""
    names = tuple(getattr(a, "family", None) or getattr(a, "name", "") for a in source.authors)
    return names or (source.publisher or source.title,), source.year


def _batches(kb: KnowledgeBase, representatives: list[Claim]) -> list[list[Claim]]:
    """Claims grouped so that no two works of a group could be confused ("Smith, 2010" twice).

    In an author-date style a citation then renders as it does alone: citeproc adds
    initials or year letters only to tell such works apart.
    """
    batches: list[tuple[dict[tuple[object, ...], frozenset[str]], list[Claim]]] = []
    for claim in representatives:
        grouped: dict[tuple[object, ...], set[str]] = {}
        for key in (*claim.cited_keys, claim.document):
            grouped.setdefault(_name_year(kb.sources[key]), set()).add(key)
        works = {shown: frozenset(keys) for shown, keys in grouped.items()}
        for seen, members in batches:
            if all(seen.get(shown, keys) == keys for shown, keys in works.items()):
                break
        else:
            seen, members = {}, []
            batches.append((seen, members))
        seen.update(works)
        members.append(claim)
    return [members for _, members in batches]


_SHARED: dict[str, Any] = {}
"""The base and style a forked worker renders with (inherited through fork, never pickled)."""
PARALLEL_FROM = 400
"""Distinct citations from which the Markdown exports are rendered by several processes."""


def _render_shown(claims: list[Claim]) -> dict[tuple[object, ...], tuple[str, list[str]]]:
    """(citation, references) per signature for claims whose works cannot be confused."""
    rendered = render(_SHARED["kb"], claims, _SHARED["style"], "markdown", credit=_SHARED["credit"])
    references = list(zip(rendered.reference_keys, rendered.references))
    return {_signature(cited.claim): (cited.citation, [t for k, t in references if k in set(cited.keys)])
            for cited in rendered.claims}


def _render_alone(claims: list[Claim]) -> dict[tuple[object, ...], tuple[str, list[str]]]:
    shown = {}
    for claim in claims:
        alone = render(_SHARED["kb"], [claim], _SHARED["style"], "markdown", credit=_SHARED["credit"])
        shown[_signature(claim)] = (alone.claims[0].citation, alone.references)
    return shown


def _in_processes(work: Any, chunks: list[list[Claim]]) -> list[dict[tuple[object, ...], tuple[str, list[str]]]]:
    """``work`` over the chunks, in forked processes when there are several cores and enough work."""
    import multiprocessing

    workers = min(os.cpu_count() or 1, len(chunks))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [work(chunk) for chunk in chunks]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(work, chunks)


def _markdown_exports(kb: KnowledgeBase, claims: list[Claim], style: Style, credit: str) -> dict[str, str]:
    """Each claim's Markdown export, rendered once per distinct citation (citeproc-py takes
    milliseconds per citation); in batches for author-date styles, alone for note and numeric
    styles, whose citations depend on the claims around them. A large base is rendered by
    several processes (each chunk of a batch renders as the batch would)."""
    representatives: dict[tuple[object, ...], Claim] = {}
    for claim in claims:
        representatives.setdefault(_signature(claim), claim)
    alone = style.is_note or style.is_numeric
    groups = [list(representatives.values())] if alone else _batches(kb, list(representatives.values()))
    parts = max(1, min(os.cpu_count() or 1, 8)) if len(representatives) >= PARALLEL_FROM else 1
    chunks = [group[i::parts] for group in groups for i in range(parts) if group[i::parts]]
    _SHARED.update(kb=kb, style=style, credit=credit)
    try:
        shown: dict[tuple[object, ...], tuple[str, list[str]]] = {}
        for result in _in_processes(_render_alone if alone else _render_shown, chunks):
            shown.update(result)
    finally:
        _SHARED.clear()
    return {c.id: _markdown(c.statement, *shown[_signature(c)], style.is_note) for c in claims}


def citations(kb: KnowledgeBase, style: Style, style_arg: str) -> Citations:
    """Every work's reference (one citeproc run over a claim per work) and each claim's Markdown export."""
    from kb.provenance.context import simple_reference
    from kb.publish.exporters import ExportJob
    from kb.publish.exporters.pandoc import citation as pandoc_citation

    claims = [c for c in kb if all(k in kb.sources for k in (*c.cited_keys, c.document))]
    one_per_work: dict[str, Claim] = {}
    for claim in claims:
        for key in (*claim.cited_keys, claim.document):
            one_per_work.setdefault(key, claim)
    html = render(kb, list({c.id: c for c in one_per_work.values()}.values()), style, "html")
    reference = {k: Markup(t) for k, t in zip(html.reference_keys, html.references)}
    for key, source in sorted(kb.sources.items()):
        reference.setdefault(key, escape(simple_reference(source)))
    job = ExportJob(kb=kb, claims=claims, style=style_arg)
    pandoc = {c.id: pandoc_citation(job, c) for c in claims}
    return Citations(style, reference, _markdown_exports(kb, claims, style, credit_for(style_arg)), pandoc)


# --- rendering -----------------------------------------------------------------------------


def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["number"] = lambda n: f"{n:,}"
    return env


class _Writer:
    """Renders templates into the site directory and counts the pages."""

    def __init__(self, root: Path, common: dict[str, Any]) -> None:
        self.root = root
        self.env = _environment()
        self.common = common
        self.pages = 0
        self.written: list[str] = []

    def page(self, path: str, template: str, **context: Any) -> None:
        depth = path.count("/")
        html = self.env.get_template(template).render(
            **self.common, **context, root="../" * depth, path=path,
            canonical=(self.common["base_url"] + path) if self.common["base_url"] else "")
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(html.encode("utf-8"))
        self.pages += 1
        self.written.append(path)

    def file(self, path: str, data: bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _claim_rows(claims: Iterable[Claim]) -> list[Claim]:
    return sorted(claims, key=lambda c: c.id)


def _write_pages(kb: KnowledgeBase, w: _Writer, cites: Citations) -> None:
    from kb.provenance.verify import uncovered_numbers

    claims = _claim_rows(kb)
    facets = pages.facets(kb)
    outgoing, incoming = pages.claim_links(kb)
    documents = [k for k in sorted({c.document for c in claims} | set(kb.document_keys))]
    anchors = {}
    for claim in claims:
        document = kb.document(claim.document)
        anchors[claim.id] = document.anchor_fragments(claim.fragments) if document else [None] * len(claim.fragments)
    uncovered: dict[str, list[Any]] = {}
    for number in uncovered_numbers(kb):
        uncovered.setdefault(number.document, []).append(number)
    by_document = {key: [c for c in claims if c.document == key] for key in documents}
    citing: dict[str, list[Claim]] = {}
    for claim in claims:
        for key in claim.cited_keys:
            citing.setdefault(key, []).append(claim)
    doc_info = [{"key": key, "source": kb.sources.get(key), "has_text": kb.document(key) is not None,
                 "claims": len(by_document[key]), "uncovered": len(uncovered.get(key, []))} for key in documents]

    w.page("index.html", "index.html", facets=facets, documents=doc_info, claims=claims,
           sources=len(kb.sources))
    w.page("search.html", "search.html")
    w.page("claims/index.html", "listing.html", heading="All claims", intro="", claims=claims, facet=None)
    w.page("sources/index.html", "sources.html", sources=sorted(kb.sources.values(), key=lambda s: s.key),
           citing={k: len(v) for k, v in citing.items()}, by_document={k: len(v) for k, v in by_document.items()})
    for facet in facets.values():
        for value in facet.counts:
            selected = [c for c in claims if value in pages.facet_values(c, facet.name)]
            w.page(facet.href(value), "listing.html", heading=f"{facet.name.capitalize()}: {value}",
                   intro=facet.descriptions.get(value, ""), claims=selected, facet=facet)
    for claim in claims:
        document = kb.document(claim.document)
        view = pages.quote_view(document, claim, anchors[claim.id])
        w.page(f"claims/{claim.id}.html", "claim.html", claim=claim, view=view, facets=facets,
               quantities=[pages.quantity_text(q) for q in claim.quantities],
               outgoing=outgoing.get(claim.id, []), incoming=incoming.get(claim.id, []),
               known=kb.claims, has_text=document is not None,
               keys=[k for k in dict.fromkeys([*claim.cited_keys, claim.document])])
    for key, source in sorted(kb.sources.items()):
        w.page(f"sources/{key}.html", "source.html", source=source, citing=citing.get(key, []),
               from_document=by_document.get(key, []), has_text=kb.document(key) is not None)
    for key in documents:
        document = kb.document(key)
        if document is None:
            continue
        spans = {c.id: [a for a in anchors[c.id] if a is not None] for c in by_document[key]}
        spans = {k: v for k, v in spans.items() if v}
        numbers = uncovered.get(key, [])
        body = pages.document_html(document, spans, [(n.start, n.end, n.text) for n in numbers], "../claims/{id}.html")
        w.page(f"documents/{key}.html", "document.html", key=key, source=kb.sources.get(key), body=body,
               claims=by_document[key], quoted=len(spans), uncovered=numbers)


def _write_data(kb: KnowledgeBase, w: _Writer, style_arg: str) -> None:
    """OUT/data/: the claims as JSON, and the works they cite as CSL-JSON and BibTeX."""
    from kb.publish.exporters import ExportJob, get_exporter

    every = _claim_rows(kb)
    credited = [c for c in every if all(k in kb.sources for k in (*c.cited_keys, c.document))]
    for fmt, name, claims in (("json", "claims.json", every), ("csl-json", "references.json", credited),
                              ("bibtex", "references.bib", credited)):
        result = get_exporter(fmt)(ExportJob(kb=kb, claims=claims, style=style_arg))
        w.file(f"data/{name}", result.text.encode("utf-8"))


def _pagefind(site: Path) -> float:
    """Index the claim and source pages with the Pagefind binary of ``pagefind[bin]``; seconds taken."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        get_executable = None
    binary = get_executable() if get_executable else None
    if binary is None:
        raise BadInput("the Pagefind binary is not installed (the site's search needs it)",
                       hint="pip install 'pagefind[bin]'")
    started = time.perf_counter()
    try:
        done = subprocess.run([str(binary), "--site", str(site), "--glob", "{claims,sources}/*.html", "--silent"], capture_output=True, text=True,
                              check=False)
    except OSError as exc:
        raise WriteError(f"cannot run Pagefind ({binary}): {exc}", hint="reinstall 'pagefind[bin]'") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise WriteError(f"Pagefind failed to index the site: {detail[-1] if detail else done.returncode}",
                         hint="rerun with a fresh output directory; report the message if it persists")
    return time.perf_counter() - started


def build_site(kb: KnowledgeBase, out: str | Path, *, title: str = "", base_url: str = "",
               style: str = DEFAULT_STYLE) -> SiteResult:
    """Write the static site of ``kb`` to OUT (replacing a previous kb site there)."""
    started = time.perf_counter()
    out = Path(out).expanduser().absolute()
    check_target(out)
    base = _base_url(base_url)
    loaded = load_style(style)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise WriteError(f"cannot write the site to {out}: {exc.strerror or exc}",
                         hint="check the directory is writable") from exc
    try:
        cites = citations(kb, loaded, style)
        source = kb.sources.get(kb.document_keys[0]) if len(kb.document_keys) == 1 else None
        site_title = title or (source.title.split(":")[0] if source else kb.root.name) or "Knowledge base"
        common = {"site_title": site_title, "base_url": base, "cites": cites, "version": __version__,
                  "claim_total": len(kb), "style_title": loaded.title, "facet_dirs": pages.FACET_DIRS}
        writer = _Writer(tmp, common)
        _write_pages(kb, writer, cites)
        _write_data(kb, writer, style)
        for name in STATIC:
            writer.file(f"static/{name}", (HERE / "static" / name).read_bytes())
        if base:
            urls = "".join(f"<url><loc>{escape(base + p)}</loc></url>\n" for p in sorted(writer.written))
            writer.file("sitemap.xml", ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                                        f'"http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n').encode())
        indexing = _pagefind(tmp)
        (tmp / MARKER).write_text("A site written by 'kb site'; the next 'kb site' into this directory replaces it.\n",
                                  encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a site is for publishing
        check_target(out)  # still safe to replace (nothing wrote there meanwhile)
        _swap(tmp, out)
    except BaseException as exc:  # an interrupted or failed build leaves no half site behind
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise WriteError(f"cannot write the site to {out}: {exc.strerror or exc}",
                             hint="check the directory is writable and has space") from exc
        raise
    return SiteResult(out, writer.pages, len(kb), time.perf_counter() - started, indexing)
