"""The regulation library: documents (a tenant's own and the global one) split at their
structure into cited passages, a stemmed full-text search over them, the passages a
compliance finding cites, and answers quoted from the library only (docs/regulations.md)."""
