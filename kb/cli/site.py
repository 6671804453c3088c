"""Command ``site``: a static, publishable site of the knowledge base."""

from __future__ import annotations

from pathlib import Path

import typer

from kb.cli import app
from kb.cli.common import console, handles_errors, load


@app.command()
@handles_errors
def site(
    ctx: typer.Context,
    out: Path = typer.Argument(..., metavar="OUT", help="Directory to write (new, empty, or a previous kb site)."),
    title: str = typer.Option("", "--title", metavar="T", help="The site's title (default: the document's title)."),
    base_url: str = typer.Option("", "--base-url", metavar="URL",
                                 help="Where the site will be published, for canonical links and sitemap.xml."),
    style: str = typer.Option("harvard-cite-them-right", "--style", "-s", metavar="S",
                              help="CSL style of the references (see 'kb styles')."),
) -> None:
    """Write a static site of the base: a page per claim, source and document, listings, search.

    Every link is relative, so OUT can be published from any folder or URL; search
    runs in the browser (Pagefind) once the site is served, e.g. with
    'python -m http.server -d OUT'. A previous kb site in OUT is replaced whole.

    Example: kb site site-out --title "Cutting them free: claims"
    """
    from kb.publish.site import build_site

    kb = load(ctx)
    result = build_site(kb, out, title=title, base_url=base_url, style=style)
    console(stderr=True).print(
        f"Wrote {result.pages} pages for {result.claims} claims to {result.out} in {result.seconds:.1f} s "
        f"(search index {result.pagefind_seconds:.1f} s); preview: python -m http.server -d {out}")
