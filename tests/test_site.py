"""``kb site``: every page, every internal link, escaping, determinism, and the output directory's safety."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import pytest

from kb.provenance.verify import uncovered_numbers
from kb.publish.site import build_site
from kb.publish.site import builder as site_builder
from kb.publish.site.builder import MARKER
from kb.publish.site.pages import claim_links, facets, quantity_text, slug
from kb.store.loader import load_kb
from tests.conftest import ROOT, SMALL_KB, copy_kb


class _Links(HTMLParser):
    """Every href/src of a page, and every id it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None and not (tag == "link" and ("rel", "canonical") in attrs):
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _site_of(tmp_path_factory: pytest.TempPathFactory, source: Path) -> tuple[Path, object]:
    """A copy of the base at ``source`` and its site, built once per module."""
    kb = load_kb(copy_kb(source, tmp_path_factory.mktemp("base") / "kb"))
    out = tmp_path_factory.mktemp("out") / "site"
    build_site(kb, out)
    return out, kb


@pytest.fixture(scope="module")
def bundled_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    return _site_of(tmp_path_factory, ROOT)


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    return _site_of(tmp_path_factory, SMALL_KB)


@pytest.fixture(params=["bundled", "small"])
def built(request: pytest.FixtureRequest) -> tuple[Path, object]:
    return request.getfixturevalue(f"{request.param}_site")


# --- pages and links ------------------------------------------------------------------------


def test_every_page_exists(built) -> None:
    out, kb = built
    for name in ("index.html", "search.html", "claims/index.html", "sources/index.html", "static/site.css",
                 "static/search.js", "data/claims.json", "data/references.json", "data/references.bib",
                 "pagefind/pagefind.js", MARKER):
        assert (out / name).is_file(), name
    for claim in kb:
        assert (out / "claims" / f"{claim.id}.html").is_file()
    for key in kb.sources:
        assert (out / "sources" / f"{key}.html").is_file()
    for key in kb.document_keys:
        assert (out / "documents" / f"{key}.html").is_file()
    for facet in facets(kb).values():
        for value in facet.counts:
            page = out / facet.href(value)
            assert page.is_file(), page
            listed = set(re.findall(r'href="\.\./claims/([a-z0-9-]+-\d{4,})\.html"', page.read_text(encoding="utf-8")))
            assert len(listed) == facet.counts[value]


def test_every_internal_link_resolves_and_is_relative(built) -> None:
    out, _ = built
    pages = sorted(out.rglob("*.html"))
    ids = {page: _parse(page).ids for page in pages}
    checked = 0
    for page in pages:
        if "pagefind" in page.relative_to(out).parts:
            continue
        for link in _parse(page).links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            assert not parts.scheme and not parts.netloc and not link.startswith("/"), f"{page}: {link}"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page.relative_to(out)} links to missing {link}"
            assert out.resolve() in target.parents, f"{page}: {link} leaves the site"
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in ids[target], f"{page.relative_to(out)}: no #{parts.fragment} in {target}"
            checked += 1
    assert checked > 100


def test_home_counts_link_to_listings(bundled_site) -> None:
    out, kb = bundled_site
    home = (out / "index.html").read_text(encoding="utf-8")
    for facet in facets(kb).values():
        for value, n in facet.counts.items():
            assert re.search(rf'<a href="{re.escape(facet.href(value))}">[^<]+</a></td><td class="n">{n:,}</td>',
                             home), (facet.name, value)
    for name in ("data/claims.json", "data/references.json", "data/references.bib", "search.html"):
        assert f'href="{name}"' in home
    assert 'role="search"' in home and '<label for="home-q">' in home


def test_claim_page_shows_quote_references_and_cite_box(small_site) -> None:
    out, kb = small_site
    claim = kb.claim("tst-0004")  # two fragments, a cited work with footnote and locator
    page = (out / "claims" / "tst-0004.html").read_text(encoding="utf-8")
    marks = re.findall(r"<mark>(.*?)</mark>", page)
    assert [" ".join(m.split()) for m in marks] == [" ".join(f.split()) for f in claim.fragments]
    assert "Ministry of Justice" in page and "Table S5.7" in page
    assert 'href="../sources/moj2011criminal.html"' in page
    assert "[@moj2011criminal, Table S5.7; cited in @testorg2020study]" in page
    assert "kb export --id tst-0004 --format markdown" in page
    assert claim.fingerprint in page
    assert "89" in page and "convictions" in page
    assert 'href="../places/england-and-wales.html"' in page
    note = kb.document(claim.document).footnotes[2]
    assert note.text.split()[0] in page  # the footnote's text is shown


def test_stale_review_is_a_visible_warning(small_kb: Path, tmp_path: Path) -> None:
    path = small_kb / "claims" / "testorg2020study.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("defined as an offence in the Sexual", "defined as an offence in the Sexual\n    ", 1)
                    .replace("Act 2003.\n  kind: policy", "Act 2003 (amended).\n  kind: policy", 1), encoding="utf-8")
    kb = load_kb(small_kb)
    out = tmp_path / "out"
    build_site(kb, out)
    stale = [c for c in kb if c.status == "stale"]
    fresh = [c for c in kb if c.status != "stale"]
    assert stale and fresh
    for claim in stale:
        page = (out / "claims" / f"{claim.id}.html").read_text(encoding="utf-8")
        assert '<div class="warning" role="note"><strong>Stale review.</strong>' in page
        assert claim.review.by in page
    assert "Stale review." not in (out / "claims" / f"{fresh[0].id}.html").read_text(encoding="utf-8")


def test_document_page_marks_every_quote_and_links_its_claims(small_site) -> None:
    out, kb = small_site
    key = kb.document_keys[0]
    page = (out / "documents" / f"{key}.html").read_text(encoding="utf-8")
    for claim in kb.from_document(key):
        assert f'href="../claims/{claim.id}.html"' in page
        assert f'id="q-{claim.id}"' in page
    for number in kb.document(key).footnotes:
        assert f'href="#fn-{number}"' in page and f'id="fn-{number}"' in page
    assert 'class="uncovered"' not in page  # every number is captured or excluded


def test_document_page_shows_uncovered_numbers(small_kb: Path, tmp_path: Path) -> None:
    for path in (small_kb / "sources" / "documents").glob("*.exclusions.yaml"):
        path.unlink()
    kb = load_kb(small_kb)
    expected = uncovered_numbers(kb)
    assert expected
    build_site(kb, tmp_path / "out")
    page = (tmp_path / "out" / "documents" / f"{kb.document_keys[0]}.html").read_text(encoding="utf-8")
    assert page.count('<span class="uncovered" title=') == len(expected)
    assert f"{len(expected)} uncovered number" in page


def test_search_page_is_labelled_and_loads_pagefind(small_site) -> None:
    out, _ = small_site
    page = (out / "search.html").read_text(encoding="utf-8")
    assert '<label for="q">' in page and 'name="q"' in page
    script = (out / "static" / "search.js").read_text(encoding="utf-8")
    assert '"../pagefind/pagefind.js"' in script and 'get("q")' in script
    assert list((out / "pagefind").glob("pagefind.*.pf_meta")), "Pagefind wrote no index"


# --- escaping -----------------------------------------------------------------------------------

HOSTILE = "Claims with <script>alert(1)</script> and {{ 7*7 }} {% if x %} & \"quotes\" stay text."


def test_claim_text_is_escaped(small_kb: Path, tmp_path: Path) -> None:
    path = small_kb / "claims" / "testorg2020study.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("Children who go missing are at greater risk of exploitation.", HOSTILE, 1)
    text = text.replace("section: Introduction\n  cites: []\n  places: [UK]\n  topics: [missing",
                        'section: "<img src=x onerror=alert(2)>"\n  cites: []\n  places: [UK]\n  topics: [missing', 1)
    path.write_text(text, encoding="utf-8")
    kb = load_kb(small_kb)
    assert kb.claim("tst-0003").statement == HOSTILE
    build_site(kb, tmp_path / "out")
    for page in [tmp_path / "out" / "claims" / "tst-0003.html", tmp_path / "out" / "claims" / "index.html",
                 tmp_path / "out" / "places" / "uk.html"]:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "{{ 7*7 }} {% if x %} &amp;" in html and "49" not in html
    claim_page = (tmp_path / "out" / "claims" / "tst-0003.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(2)&gt;" in claim_page
    # the Markdown in the cite box escapes for Markdown, then for HTML
    assert r"\&lt;script\&gt;" in claim_page


# --- determinism and the output directory ---------------------------------------------------


def test_same_base_same_bytes(small_kb: Path, tmp_path: Path) -> None:
    kb = load_kb(small_kb)
    build_site(kb, tmp_path / "a")
    build_site(load_kb(small_kb), tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert list(first) == list(second)
    assert [k for k in first if first[k] != second[k]] == []
    assert any(k.startswith("pagefind/") for k in first)  # Pagefind's output is deterministic too


def test_refuses_a_non_empty_directory_that_is_no_site(run, small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    r = run("--kb", small_kb, "site", out)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: the output directory {out} is not empty and is not a kb site")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert not list(tmp_path.glob(".mine.*"))


def test_refuses_a_file(run, small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "file.html"
    out.write_text("x", encoding="utf-8")
    r = run("--kb", small_kb, "site", out)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: the output {out} exists and is not a directory")


def test_replaces_a_previous_site_and_fills_an_empty_directory(run, small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    r = run("--kb", small_kb, "site", out)
    assert r.exit_code == 0, r
    assert re.match(r"Wrote \d+ pages for 7 claims to .*site in [\d.]+ s", r.stderr)
    (out / "claims" / "tst-9999.html").write_text("left over", encoding="utf-8")
    r = run("--kb", small_kb, "site", out, "--title", "Second")
    assert r.exit_code == 0, r
    assert not (out / "claims" / "tst-9999.html").exists()
    assert "<title>Home · Second</title>" in (out / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "small-kb"]


def test_a_failed_build_leaves_the_previous_site_whole(monkeypatch, small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    kb = load_kb(small_kb)
    build_site(kb, out)
    before = _files(out)

    def broken(site: Path) -> float:
        raise KeyboardInterrupt

    monkeypatch.setattr(site_builder, "_pagefind", broken)
    with pytest.raises(KeyboardInterrupt):
        build_site(kb, out, title="Never")
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "small-kb"]


def test_bad_options(run, small_kb: Path, tmp_path: Path) -> None:
    r = run("--kb", small_kb, "site", tmp_path / "a", "--style", "no-such-style-xyz")
    assert r.exit_code == 2 and r.stderr.startswith("Error: unknown citation style 'no-such-style-xyz'")
    r = run("--kb", small_kb, "site", tmp_path / "a", "--base-url", "ftp://x")
    assert r.exit_code == 2 and r.stderr.startswith("Error: the base URL 'ftp://x' is not an http(s) URL")
    assert not (tmp_path / "a").exists()


def test_base_url_gives_canonical_links_and_a_sitemap(small_kb: Path, tmp_path: Path) -> None:
    build_site(load_kb(small_kb), tmp_path / "out", base_url="https://example.org/kb")
    page = (tmp_path / "out" / "claims" / "tst-0001.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/kb/claims/tst-0001.html">' in page
    sitemap = (tmp_path / "out" / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.org/kb/claims/tst-0001.html</loc>" in sitemap
    assert 'href="../index.html"' in page  # internal links stay relative


def test_style_option_formats_the_references(small_kb: Path, tmp_path: Path) -> None:
    kb = load_kb(small_kb)
    build_site(kb, tmp_path / "harvard")
    build_site(kb, tmp_path / "apa", style="apa")
    pages = [(tmp_path / name / "sources" / "jago2011whats.html").read_text(encoding="utf-8")
             for name in ("harvard", "apa")]
    assert "References in APA Style" in pages[1] and "References in APA" not in pages[0]
    references = [re.search(r'<p class="reference">(.*?)</p>', page).group(1) for page in pages]
    assert references[0] != references[1]
    assert "Jago" in references[1]


# --- the pieces -------------------------------------------------------------------------------------


def test_links_between_claims_outgoing_and_incoming() -> None:
    claims = [SimpleNamespace(id="a-0001", links=[{"rel": "supports", "id": "a-0002", "note": "same survey"}]),
              SimpleNamespace(id="a-0002", links=[SimpleNamespace(rel="updates", id="a-0003", note="")]),
              SimpleNamespace(id="a-0003")]
    outgoing, incoming = claim_links(claims)  # type: ignore[arg-type]
    assert outgoing == {"a-0001": [{"rel": "supports", "id": "a-0002", "note": "same survey"}],
                        "a-0002": [{"rel": "updates", "id": "a-0003", "note": ""}]}
    assert incoming == {"a-0002": [{"rel": "supports", "id": "a-0001", "note": "same survey"}],
                        "a-0003": [{"rel": "updates", "id": "a-0002", "note": ""}]}


def test_quantity_text_shows_a_qualifier_when_present() -> None:
    assert quantity_text({"value": 3000.0, "unit": "service users", "qualifier": "over"}) == {
        "value": "3,000", "unit": "service users", "qualifier": "over", "period": "", "place": ""}
    assert quantity_text(SimpleNamespace(value=0.5, unit="per cent", period="2011", place=""))["value"] == "0.5"


def test_slug() -> None:
    assert slug("Northern Ireland") == "northern-ireland"
    assert slug("England and Wales") == "england-and-wales"
    assert slug("!!") == "x"


@pytest.mark.parametrize("style", ["harvard-cite-them-right", "apa", "mhra-notes", "vancouver-nlm"])
def test_cite_box_markdown_is_the_claims_own_export(run, small_kb: Path, tmp_path: Path, style: str) -> None:
    import html

    kb = load_kb(small_kb)
    build_site(kb, tmp_path / "out", style=style)
    for claim in kb:
        page = (tmp_path / "out" / "claims" / f"{claim.id}.html").read_text(encoding="utf-8")
        shown = re.search(r'<pre aria-labelledby="cite-md" tabindex="0"><code>(.*?)</code></pre>', page, re.DOTALL)
        exported = run("--kb", small_kb, "export", "--id", claim.id, "--format", "markdown", "--style", style)
        assert exported.exit_code == 0
        assert html.unescape(shown.group(1)) == exported.stdout, claim.id


def test_cite_box_markdown_on_the_bundled_base(bundled_site) -> None:
    """Batched rendering gives every claim its own export, year letters included (Barnardo's 2011a...)."""
    import html

    from kb.publish.exporters import ExportJob, get_exporter

    out, kb = bundled_site
    exporter = get_exporter("markdown")
    for claim in kb:
        page = (out / "claims" / f"{claim.id}.html").read_text(encoding="utf-8")
        shown = re.search(r'<pre aria-labelledby="cite-md" tabindex="0"><code>(.*?)</code></pre>', page, re.DOTALL)
        alone = exporter(ExportJob(kb=kb, claims=[claim], style="harvard-cite-them-right")).text
        assert html.unescape(shown.group(1)) == alone, claim.id


def test_a_claim_citing_an_unknown_work_still_gets_a_page(small_kb: Path, tmp_path: Path) -> None:
    path = small_kb / "claims" / "testorg2020study.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{key: jago2011whats, footnote: 1}",
                                                             "{key: nosuchwork2000, footnote: 1}"), encoding="utf-8")
    kb = load_kb(small_kb)
    build_site(kb, tmp_path / "out")
    page = (tmp_path / "out" / "claims" / "tst-0002.html").read_text(encoding="utf-8")
    assert "nosuchwork2000 <span class=\"warning\">not in the bibliography</span>" in page
    assert "nosuchwork2000.html" not in page
    assert '"id": "tst-0002"' in (tmp_path / "out" / "data" / "claims.json").read_text(encoding="utf-8")
    assert "nosuchwork2000" not in (tmp_path / "out" / "data" / "references.bib").read_text(encoding="utf-8")


@pytest.mark.parametrize("style", ["harvard-cite-them-right", "mhra-notes"])
def test_markdown_rendered_in_processes_is_the_same(monkeypatch, small_kb: Path, style: str) -> None:
    from kb.cite.citations import load_style

    kb = load_kb(small_kb)
    loaded = load_style(style)
    serial = site_builder.citations(kb, loaded, style).markdown
    monkeypatch.setattr(site_builder, "PARALLEL_FROM", 1)
    monkeypatch.setattr(site_builder.os, "cpu_count", lambda: 3)  # three chunks even on a one-core machine
    assert site_builder.citations(kb, loaded, style).markdown == serial
    assert len(serial) == len(kb)
