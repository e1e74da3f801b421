"""Embedded defaults: SQLite, a folder, in-process CloudEvents, environment secrets."""
