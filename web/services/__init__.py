"""Use cases of the marketplace; the one place that owns transactions."""

from web.services.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationError

__all__ = ["Conflict", "NotFound", "PermissionDenied", "ServiceError", "ValidationError"]
