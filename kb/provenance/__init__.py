"""Provenance: verifying claims against their documents and sources, reviews, quote
contexts, claim records.

May import :mod:`kb.search`, :mod:`kb.cite`, :mod:`kb.store`, :mod:`kb.model`.
"""
