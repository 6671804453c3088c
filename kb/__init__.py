"""kb: an evidence-citation knowledge base.

Atomic claims taken from documents, each anchored to a verbatim quote and linked
to the works it cites; searchable with Whoosh and exportable with formatted
references.
"""

__version__ = "0.1.0"
