"""The static site of a knowledge base (``kb site OUT``): pages, stylesheet, Pagefind search.

``pages`` turns a base into what each page shows (plain data, escaped by the
templates); ``builder`` renders the Jinja2 templates (autoescaped), writes the
exports, runs Pagefind and swaps the finished site into place. May import
:mod:`kb.publish.exporters`, :mod:`kb.provenance`, :mod:`kb.cite`, :mod:`kb.store`, :mod:`kb.model`.
"""

from kb.publish.site.builder import SiteResult, build_site

__all__ = ["SiteResult", "build_site"]
