"""Implementations of the ports: ``local`` (embedded defaults) and, later, the Google Cloud ones."""
