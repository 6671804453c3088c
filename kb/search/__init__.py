"""Full-text search: the index, the query language and ranking, acronyms.

May import :mod:`kb.store`, :mod:`kb.model` and :mod:`kb.errors`.
"""
