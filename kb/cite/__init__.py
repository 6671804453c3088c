"""Formatted citations: CSL styles through citeproc-py.

May import :mod:`kb.store`, :mod:`kb.model` and :mod:`kb.errors`.
"""
