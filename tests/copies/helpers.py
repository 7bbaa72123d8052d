"""Helpers shared by the copy-detection tests."""

from __future__ import annotations


def trafilatura_usable() -> bool:
    """Return whether trafilatura (needed to read HTML pages) imports in this environment."""
    try:
        import trafilatura  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True
