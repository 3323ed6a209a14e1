"""Exceptions the services raise; the app turns them into 403/404/409/422 answers or pages.

Messages are lazy strings (Flask-Babel), Dutch first; ``str()`` renders them in the request's
locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ServiceError(Exception):
    status_code = 400
    status_name = "Bad Request"

    def __init__(self, message: Any, field_errors: Mapping[str, Any] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field_errors: dict[str, Any] = dict(field_errors or {})

    def json_errors(self) -> dict[str, Any]:
        """Field errors as lists of rendered strings, the shape webargs uses."""

        def render(value: Any) -> Any:
            if isinstance(value, Mapping):
                return {str(k): render(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [render(v) for v in value]
            return str(value)

        return {
            k: (render(v) if isinstance(v, list | tuple | Mapping) else [str(v)])
            for k, v in self.field_errors.items()
        }


class ValidationError(ServiceError):
    """Bad input; ``field_errors`` maps a field name to its message(s)."""

    status_code = 422
    status_name = "Unprocessable Entity"


class PermissionDenied(ServiceError):
    status_code = 403
    status_name = "Forbidden"


class NotFound(ServiceError):
    status_code = 404
    status_name = "Not Found"


class Conflict(ServiceError):
    """The request is valid but the object's state does not allow it (e.g. a closed listing)."""

    status_code = 409
    status_name = "Conflict"
