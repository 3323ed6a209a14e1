"""Finding, reading, posting, editing and withdrawing supply and demand listings."""

from web.listings.views import bp

__all__ = ["bp"]
