"""The coordinator's catalogue pages: list, view and edit a material's figures."""

from web.catalogue.views import bp

__all__ = ["bp"]
