"""'My projects and listings', and creating or editing a project."""

from web.projects.views import bp

__all__ = ["bp"]
