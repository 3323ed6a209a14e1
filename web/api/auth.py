"""Bearer-token authentication for the API, and the tokens resource that hands tokens out."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from web.api.schemas import TokenRequestSchema, TokenSchema, UserSchema
from web.models import ApiToken, User
from web.services import accounts

F = TypeVar("F", bound=Callable[..., Any])
SECURITY = [{"bearerAuth": []}]

blp = Blueprint("api_auth", __name__, url_prefix="/api/v1", description="API tokens and who I am")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_token() -> ApiToken:
    token = accounts.token_record(_bearer() or "")
    if token is None:
        abort(
            401,
            message="Log in first: send 'Authorization: Bearer <token>' (POST /api/v1/tokens).",
            headers={"WWW-Authenticate": 'Bearer realm="materialmatch"'},
        )
    return token  # type: ignore[return-value]


def api_user() -> User:
    """The user of the current API request (set by :func:`token_required`)."""
    return g.api_user  # type: ignore[no-any-return]


def token_required(view: F) -> F:
    """Answer 401 unless a live bearer token is sent; documents the security and the 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = current_token()
        g.api_token = token
        g.api_user = token.user
        return view(*args, **kwargs)

    return blp.doc(security=SECURITY)(
        blp.alt_response(401, description="No valid bearer token.")(wrapper)
    )  # type: ignore[return-value]


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, description="Wrong email or password.")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Exchange an email and password for a bearer token"""
        user = accounts.authenticate(args["email"], args["password"])
        if user is None:
            abort(401, message="The email address or password is not correct.")
        plain, token = accounts.issue_token(user, args.get("name", "api"))
        return {"token": plain, "expires_at": token.expires_at}


@blp.route("/tokens/current")
class CurrentToken(MethodView):
    @token_required
    @blp.response(204)
    def delete(self) -> None:
        """Revoke the token this request was made with"""
        accounts.revoke_token(g.api_token)


@blp.route("/me")
class Me(MethodView):
    @token_required
    @blp.response(200, UserSchema)
    def get(self) -> User:
        """The user the token belongs to"""
        return api_user()
