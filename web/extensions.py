"""Flask extensions, created unbound here and bound to an app in :func:`web.create_app`."""

from __future__ import annotations

from flask import current_app, request, session
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so that Alembic can alter and drop them the same way on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = Api()

login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str):  # type: ignore[no-untyped-def]
    from web.models import User

    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


def select_locale() -> str | None:
    """Dutch first: the user's choice (session or profile), else the browser's, else Dutch."""
    from flask import has_request_context

    languages = current_app.config.get("LANGUAGES", ["nl", "en"])
    if not has_request_context():  # CLI, services called from tests: Dutch
        return str(current_app.config.get("BABEL_DEFAULT_LOCALE", "nl"))
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    if getattr(current_user, "is_authenticated", False):
        locale = getattr(current_user, "locale", None)
        if locale in languages:
            return str(locale)
    best = request.accept_languages.best_match(languages)
    if best:
        return best
    return str(current_app.config.get("BABEL_DEFAULT_LOCALE", "nl"))
