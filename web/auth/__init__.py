"""Log in and log out (HTML)."""

from web.auth.views import bp

__all__ = ["bp"]
