"""Rendering of printable outputs (HTML -> A4 PDF) and Japanese charts."""
