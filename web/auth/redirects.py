"""Safe ``next`` redirects: only back to a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a local path (``/listings?q=1``), else ``None``.

    Refuses absolute URLs, scheme-relative ``//evil.example``, backslash tricks browsers read as
    ``//``, and anything with control characters.
    """
    if not target or len(target) > 2000:
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target
