"""The site in a real browser: Debian's Chromium, headless, driven by Playwright.

Skipped only when the system Chromium is missing (CI installs it). Screenshots of
the home, a claim and a document page, at desktop and phone widths, are saved
under the test's tmp directory (the path is printed; run with -s to see it).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.publish.site import build_site
from kb.store.loader import load_kb

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import ROOT, copy_kb

    base = copy_kb(ROOT, tmp_path_factory.mktemp("base") / "bundled")
    out = tmp_path_factory.mktemp("site") / "prefix" / "site"
    build_site(load_kb(base), out)
    return out


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site's parent served on 127.0.0.1 (a free port), so the site lives under /site/ (a URL prefix)."""
    handler = functools.partial(_Quiet, directory=str(site.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/site/"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def test_claim_page_shows_the_quote_marked_in_its_paragraph(browser, site: Path) -> None:
    from tests.conftest import ROOT

    claim = load_kb(ROOT).claim("ctf-0007")
    page = browser.new_page()
    page.goto((site / "claims" / "ctf-0007.html").as_uri())  # opened as a file: no server needed
    marks = page.locator("blockquote.context mark")
    assert marks.count() >= 1
    marked = " ".join(" ".join(marks.all_inner_texts()).split())
    assert marked == " ".join(claim.quote_text.replace(" … ", " ").split())
    paragraph = page.locator("blockquote.context p").first.inner_text()
    assert len(paragraph) > len(marks.first.inner_text())  # the quote sits inside its paragraph
    assert page.locator("h1").inner_text() == claim.statement
    page.close()


def test_search_runs_on_load_and_links_to_claims(browser, served: str) -> None:
    page = browser.new_page()
    page.goto(served + "search.html?q=going+missing")
    page.wait_for_selector("#results li a", timeout=20_000)
    assert page.locator("#q").input_value() == "going missing"
    hrefs = [a.get_attribute("href") for a in page.locator("#results li a").all()]
    assert hrefs and all(h.startswith("/site/") for h in hrefs), hrefs
    assert any("/site/claims/ctf-" in h for h in hrefs)
    assert page.locator("#results mark").count() > 0
    # the first result opens its claim page, under the URL prefix
    page.locator("#results li a").first.click()
    page.wait_for_load_state()
    assert "/site/claims/ctf-" in page.url
    assert page.locator("blockquote.context mark").count() >= 1
    page.close()


def test_keyboard_reaches_the_search_box_from_the_skip_link(browser, served: str) -> None:
    page = browser.new_page()
    page.goto(served + "claims/ctf-0007.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.close()


def test_screenshots(browser, served: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    shots = tmp_path_factory.mktemp("screenshots")
    pages = {"home": "index.html", "claim": "claims/ctf-0042.html",
             "document": "documents/barnardos2012cutting.html#q-ctf-0042",
             "search": "search.html?q=going+missing"}
    for size, viewport in SIZES.items():
        page = browser.new_page(viewport=viewport)
        for name, path in pages.items():
            page.goto(served + path)
            if name == "search":
                page.wait_for_selector("#results li", timeout=20_000)
            target = shots / f"{name}-{size}.png"
            page.screenshot(path=str(target))
            assert target.stat().st_size > 10_000
            # nothing wider than the viewport: no sideways scrolling on a phone
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.close()
    print(f"\nscreenshots: {shots}")
