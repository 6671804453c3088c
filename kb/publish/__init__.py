"""Publishing: exports in every format, figures of a base.

May import :mod:`kb.provenance`, :mod:`kb.search`, :mod:`kb.cite`, :mod:`kb.store`, :mod:`kb.model`.
"""
