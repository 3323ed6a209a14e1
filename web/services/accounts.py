"""Accounts: users, their organisations, passwords and API tokens."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from web.extensions import db
from web.models import ApiToken, Organisation, Role, User
from web.services.errors import ValidationError

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_dummy_hash: str | None = None


def _dummy_check(password: str) -> None:
    """Hash a password against nothing, so a wrong address costs as long as a wrong password."""
    global _dummy_hash
    from werkzeug.security import check_password_hash, generate_password_hash

    if _dummy_hash is None:
        _dummy_hash = generate_password_hash(secrets.token_hex(8))
    check_password_hash(_dummy_hash, password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (without saying which was wrong)."""
    user = find_user_by_email(email or "")
    if user is None:
        _dummy_check(password or "")
        return None
    if not user.is_active or not user.check_password(password or ""):
        return None
    return user


def get_or_create_organisation(name: str, kind: str = "other") -> Organisation:
    name = name.strip()
    org = db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    )
    if org is None:
        org = Organisation(name=name, kind=kind)
        db.session.add(org)
        db.session.flush()
    return org


def create_user(
    email: str,
    name: str,
    password: str,
    role: Role | str = Role.PROJECT_LEAD,
    organisation: str | None = None,
    locale: str = "nl",
    commit: bool = True,
) -> User:
    """Register a user; raises :class:`ValidationError` naming each bad field."""
    errors: dict[str, object] = {}
    email_n = normalise_email(email or "")
    if not _EMAIL.match(email_n) or len(email_n) > 254:
        errors["email"] = _l("Enter a valid email address.")
    elif find_user_by_email(email_n) is not None:
        errors["email"] = _l("An account with this email address already exists.")
    if not (name or "").strip():
        errors["name"] = _l("Enter a name.")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = _l(
            "The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH
        )
    try:
        role_v = Role(role)
    except ValueError:
        errors["role"] = _l("Unknown role.")
        role_v = Role.PROJECT_LEAD
    if locale not in ("nl", "en"):
        errors["locale"] = _l("Choose nl or en.")
    if errors:
        raise ValidationError(_l("The account could not be created."), errors)
    user = User(email=email_n, name=name.strip(), role=role_v, locale=locale)
    user.set_password(password)
    if organisation:
        user.organisation = get_or_create_organisation(organisation)
    db.session.add(user)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return user


def issue_token(user: User, name: str = "api", days: int | None = None) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``; the plain token is returned once and never stored."""
    plain = secrets.token_urlsafe(32)
    days = days if days is not None else int(current_app.config.get("API_TOKEN_DAYS", 30))
    token = ApiToken(
        user=user,
        token_hash=ApiToken.hash(plain),
        name=(name or "api")[:100],
        expires_at=datetime.now(UTC) + timedelta(days=days),
    )
    db.session.add(token)
    db.session.commit()
    return plain, token


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything here is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def token_record(plain: str) -> ApiToken | None:
    """The live (not revoked, not expired) token record for a plain token, or None."""
    if not plain:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(plain)))
    if token is None or token.revoked_at is not None:
        return None
    if _aware(token.expires_at) <= datetime.now(UTC):
        return None
    if not token.user.is_active:
        return None
    return token


def user_for_token(plain: str) -> User | None:
    token = token_record(plain)
    return token.user if token is not None else None


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = datetime.now(UTC)
    db.session.commit()
