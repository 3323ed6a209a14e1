"""The start page, and what every page of the site shares (navigation, error texts)."""

from web.main.views import bp

__all__ = ["bp"]
