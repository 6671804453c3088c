"""The files of a knowledge base: locating it, loading claims, bibliography and documents,
safe writes and the one edit path, scaffolding a new base.

May import :mod:`kb.model` and :mod:`kb.errors`.
"""
