"""ArchBuilder Cloud: the shared library behind every Cloud Function."""

__version__ = "0.1.0"
