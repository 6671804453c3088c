"""The data model: pydantic models of sources and claims, review statuses, number words.

Imports nothing of kb but :mod:`kb.errors`; no I/O.
"""
