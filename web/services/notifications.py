"""The outbox: messages to the parties of a proposal, shown on the site, e-mailed if SMTP is set.

:func:`notify` adds rows in the caller's transaction, so a message exists exactly when its event
(a new proposal, an accept, a reject, an approaching expiry, a delivery) was committed.
:func:`send_pending` (``flask --app web matching send-notifications``) e-mails what has not been
sent yet, when ``MAIL_SERVER`` is configured; without it the messages are only shown on the site
(:func:`notifications_for`).  Texts are rendered in the reader's language when shown or sent,
Dutch first.

Mail settings, from the app config or else the environment: ``MAIL_SERVER``, ``MAIL_PORT`` (25),
``MAIL_USE_TLS`` (STARTTLS), ``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``,
``MAIL_DEFAULT_SENDER`` (``materialmatch@localhost``), ``MAIL_MAX_ATTEMPTS`` (5).
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from web.extensions import db
from web.models import Notification, User
from web.services.locking import is_sqlite

log = logging.getLogger(__name__)

#: kind -> language -> (subject, body); ``{name}`` fields come from the notification's params.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "new_proposal": {
        "nl": (
            "Nieuw voorstel: {quantity} {unit} {material_nl}",
            "MaterialMatch stelt voor: {quantity} {unit} {material_nl} van \"{supply_title}\" "
            "naar \"{demand_title}\", {route_nl}, ophalen {pickup_date}, leveren "
            "{delivery_date}, {road_km} km. Accepteer of weiger voor {expires_on}.",
        ),
        "en": (
            "New proposal: {quantity} {unit} {material_en}",
            "MaterialMatch proposes: {quantity} {unit} {material_en} from \"{supply_title}\" "
            "to \"{demand_title}\", {route_en}, pick-up {pickup_date}, delivery "
            "{delivery_date}, {road_km} km. Accept or reject before {expires_on}.",
        ),
    },
    "accepted": {
        "nl": (
            "Voorstel {proposal_id} geaccepteerd door beide partijen",
            "Beide partijen hebben voorstel {proposal_id} geaccepteerd: {quantity} {unit} "
            "{material_nl} is gereserveerd, {route_nl}, ophalen {pickup_date}, leveren "
            "{delivery_date}.",
        ),
        "en": (
            "Proposal {proposal_id} accepted by both parties",
            "Both parties accepted proposal {proposal_id}: {quantity} {unit} {material_en} is "
            "reserved, {route_en}, pick-up {pickup_date}, delivery {delivery_date}.",
        ),
    },
    "accepted_by_other": {
        "nl": (
            "Voorstel {proposal_id}: de andere partij accepteert",
            "De andere partij heeft voorstel {proposal_id} ({quantity} {unit} {material_nl}) "
            "geaccepteerd. Uw antwoord is nodig voor {expires_on}.",
        ),
        "en": (
            "Proposal {proposal_id}: the other party accepts",
            "The other party accepted proposal {proposal_id} ({quantity} {unit} "
            "{material_en}). Your answer is needed before {expires_on}.",
        ),
    },
    "rejected": {
        "nl": (
            "Voorstel {proposal_id} afgewezen",
            "Voorstel {proposal_id} ({quantity} {unit} {material_nl}) is afgewezen. {reason}",
        ),
        "en": (
            "Proposal {proposal_id} rejected",
            "Proposal {proposal_id} ({quantity} {unit} {material_en}) was rejected. {reason}",
        ),
    },
    "expiring": {
        "nl": (
            "Voorstel {proposal_id} verloopt op {expires_on}",
            "Voorstel {proposal_id} ({quantity} {unit} {material_nl}) verloopt op "
            "{expires_on} als niet beide partijen accepteren.",
        ),
        "en": (
            "Proposal {proposal_id} expires on {expires_on}",
            "Proposal {proposal_id} ({quantity} {unit} {material_en}) expires on "
            "{expires_on} unless both parties accept.",
        ),
    },
    "expired": {
        "nl": (
            "Voorstel {proposal_id} is verlopen",
            "Voorstel {proposal_id} ({quantity} {unit} {material_nl}) is verlopen zonder "
            "antwoord van beide partijen.",
        ),
        "en": (
            "Proposal {proposal_id} has expired",
            "Proposal {proposal_id} ({quantity} {unit} {material_en}) expired without an "
            "answer from both parties.",
        ),
    },
    "checked_in": {
        "nl": (
            "Voorstel {proposal_id}: aangekomen in {depot}",
            "{quantity} {unit} {material_nl} van voorstel {proposal_id} is ingeboekt in depot "
            "{depot}.",
        ),
        "en": (
            "Proposal {proposal_id}: arrived at {depot}",
            "{quantity} {unit} {material_en} of proposal {proposal_id} was checked in at depot "
            "{depot}.",
        ),
    },
    "delivered": {
        "nl": (
            "Voorstel {proposal_id} geleverd",
            "{quantity} {unit} {material_nl} van voorstel {proposal_id} is geleverd.",
        ),
        "en": (
            "Proposal {proposal_id} delivered",
            "{quantity} {unit} {material_en} of proposal {proposal_id} has been delivered.",
        ),
    },
}

KINDS = tuple(TEMPLATES)


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(notification: Notification, locale: str | None = None) -> tuple[str, str]:
    """Subject and body of ``notification`` in ``locale`` (the reader's language, else Dutch)."""
    language = locale or (notification.user.locale if notification.user else None) or "nl"
    texts = TEMPLATES.get(notification.kind)
    if texts is None:
        return notification.kind, ""
    subject, body = texts.get(language, texts["nl"])
    params = _Defaults(notification.params or {})
    return subject.format_map(params), body.format_map(params).strip()


def notify(
    user_ids: Iterable[int],
    kind: str,
    *,
    proposal_id: int | None = None,
    params: Mapping[str, Any] | None = None,
) -> list[Notification]:
    """Queue ``kind`` for each user (once each, in id order); flushed by the caller's commit."""
    if kind not in TEMPLATES:
        raise ValueError(f"unknown notification kind {kind!r}")
    rows = []
    for user_id in sorted(set(user_ids)):
        row = Notification(
            user_id=user_id, kind=kind, proposal_id=proposal_id, params=dict(params or {}),
            attempts=0, last_error="",
        )
        db.session.add(row)
        rows.append(row)
    return rows


@dataclass(frozen=True)
class ShownNotification:
    """What the site shows of one message."""

    id: int
    kind: str
    subject: str
    body: str
    proposal_id: int | None
    created_at: datetime
    read: bool
    emailed: bool


def notifications_for(
    user: User, *, unread_only: bool = False, limit: int = 50, locale: str | None = None
) -> list[ShownNotification]:
    """The user's messages, newest first, rendered in ``locale`` (default: the user's)."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.id.desc()).limit(max(1, min(limit, 500)))
    shown = []
    for n in db.session.scalars(stmt):
        subject, body = render(n, locale or user.locale)
        shown.append(
            ShownNotification(
                id=n.id, kind=n.kind, subject=subject, body=body, proposal_id=n.proposal_id,
                created_at=n.created_at, read=n.read_at is not None, emailed=n.sent_at is not None,
            )
        )
    return shown


def unread_count(user: User) -> int:
    from sqlalchemy import func

    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ) or 0


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's messages (all, or those in ``ids``) as read; returns how many changed."""
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    count = db.session.execute(stmt.values(read_at=datetime.now(UTC))).rowcount
    db.session.commit()
    return int(count or 0)


# ----------------------------------------------------------------------------- e-mail


def _setting(name: str, default: Any = None) -> Any:
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    return default if value is None or value == "" else value


def _flag(name: str) -> bool:
    value = _setting(name, False)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def mail_configured() -> bool:
    return bool(_setting("MAIL_SERVER"))


def _connect() -> smtplib.SMTP:
    host = str(_setting("MAIL_SERVER"))
    port = int(_setting("MAIL_PORT", 465 if _flag("MAIL_USE_SSL") else 25))
    timeout = float(_setting("MAIL_TIMEOUT", 30))
    smtp: smtplib.SMTP
    if _flag("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if _flag("MAIL_USE_TLS"):
            smtp.starttls()
    username = _setting("MAIL_USERNAME")
    if username:
        smtp.login(str(username), str(_setting("MAIL_PASSWORD", "")))
    return smtp


def _message(notification: Notification, sender: str) -> EmailMessage:
    subject, body = render(notification)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = notification.user.email
    msg["Subject"] = f"[MaterialMatch] {subject}"
    msg.set_content(body + "\n\n-- \nMaterialMatch\n")
    return msg


def send_pending(limit: int = 200) -> tuple[int, int]:
    """E-mail unsent messages, oldest first; returns (sent, failed). Does nothing without SMTP.

    Each message is marked sent in its own commit right after the server took it, so a crash
    sends at most one message twice.  A failure counts an attempt; after ``MAIL_MAX_ATTEMPTS``
    the message is only shown on the site.  On PostgreSQL, rows are claimed with
    ``FOR UPDATE SKIP LOCKED`` so two senders never send the same message.
    """
    if not mail_configured():
        return 0, 0
    sender = str(_setting("MAIL_DEFAULT_SENDER", "materialmatch@localhost"))
    max_attempts = int(_setting("MAIL_MAX_ATTEMPTS", 5))
    sent = failed = 0
    tried: list[int] = []  # failed in this pass: retried on the next one
    smtp: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            stmt = (
                select(Notification)
                .where(Notification.sent_at.is_(None), Notification.attempts < max_attempts)
                .order_by(Notification.id)
                .limit(1)
            )
            if tried:
                stmt = stmt.where(Notification.id.not_in(tried))
            if not is_sqlite():
                stmt = stmt.with_for_update(skip_locked=True, of=Notification)
            notification = db.session.scalars(stmt).first()
            if notification is None:
                break
            try:
                if smtp is None:
                    smtp = _connect()
                smtp.send_message(_message(notification, sender))
            except (OSError, smtplib.SMTPException) as exc:
                notification.attempts += 1
                notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                db.session.commit()
                failed += 1
                tried.append(notification.id)
                log.warning("mail to user %s failed: %s", notification.user_id, exc)
                smtp = None
                continue
            notification.sent_at = datetime.now(UTC)
            notification.attempts += 1
            db.session.commit()
            sent += 1
    finally:
        db.session.rollback()
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return sent, failed
