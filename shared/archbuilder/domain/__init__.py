"""Pydantic models and pure logic. No I/O here."""
