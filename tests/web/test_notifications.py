"""The outbox: written with its event, shown on the site in the reader's language, e-mailed
through a real SMTP conversation with a small fake server when MAIL_SERVER is set."""

from __future__ import annotations

import socketserver
import threading

import pytest
from sqlalchemy import func, select

from tests.web.matching_builders import make_demand, make_supply


class _FakeSmtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:  # noqa: C901 - a protocol loop
        server = self.server
        self.wfile.write(b"220 fake ESMTP\r\n")
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode().strip().upper()
            if verb.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250-fake\r\n250 8BITMIME\r\n")
            elif verb.startswith("MAIL FROM"):
                sender, rcpts = line.decode().split(":", 1)[1].strip(), []
                self.wfile.write(b"250 OK\r\n")
            elif verb.startswith("RCPT TO"):
                address = line.decode().split(":", 1)[1].strip().strip("<>")
                if address in server.refuse:  # type: ignore[attr-defined]
                    self.wfile.write(b"550 no such user\r\n")
                else:
                    rcpts.append(address)
                    self.wfile.write(b"250 OK\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                server.messages.append((sender, rcpts, b"".join(data)))  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_server(app):  # type: ignore[no-untyped-def]
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _FakeSmtp)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    server.refuse = set()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.server_address[1],
                      MAIL_DEFAULT_SENDER="noreply@materialmatch.test")
    yield server
    app.config.update(MAIL_SERVER=None, MAIL_PORT=None, MAIL_DEFAULT_SENDER=None)
    server.shutdown()
    server.server_close()


@pytest.fixture
def proposed(app, users, project, other_project):  # type: ignore[no-untyped-def]
    from web.services import matching

    make_supply(users["lead"], project, quantity=100)
    make_demand(users["other_lead"], other_project, quantity=100)
    return matching.run_matching().proposals[0]


def test_messages_are_shown_in_the_readers_language(proposed, users, db):
    from web.services.notifications import notifications_for, unread_count

    users["other_lead"].locale = "en"
    db.session.commit()
    (nl,) = notifications_for(users["lead"])
    (en,) = notifications_for(users["other_lead"])
    assert nl.subject.startswith("Nieuw voorstel: 100 pcs") and "rechtstreeks" in nl.body
    assert en.subject.startswith("New proposal: 100 pcs") and "direct" in en.body
    assert nl.proposal_id == proposed.id and not nl.read and not nl.emailed
    assert unread_count(users["lead"]) == 1


def test_a_rolled_back_event_leaves_no_message(proposed, users, db, monkeypatch):
    from web.models import Notification
    from web.services import matching
    from web.services.errors import Conflict

    before = db.session.scalar(select(func.count()).select_from(Notification))

    def no_room(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise Conflict("no")

    matching.accept_proposal(users["lead"], proposed.id)
    monkeypatch.setattr(matching, "_reserve", no_room)
    with pytest.raises(Conflict):
        matching.accept_proposal(users["other_lead"], proposed.id)
    db.session.rollback()
    # the supplier's accept wrote one message to the receiver; the failed accept wrote none
    assert db.session.scalar(select(func.count()).select_from(Notification)) == before + 1


def test_pending_messages_are_mailed_once_when_smtp_is_configured(proposed, users, smtp_server,
                                                                  runner, db):
    from web.models import Notification

    result = runner.invoke(args=["matching", "send-notifications"])
    assert result.exit_code == 0, result.output
    got = sorted((rcpts[0], body) for _, rcpts, body in smtp_server.messages)
    assert [r for r, _ in got] == ["lead@example.nl", "other@example.nl"]
    assert b"Subject: [MaterialMatch] Nieuw voorstel" in got[0][1]
    assert all(n.sent_at is not None for n in db.session.scalars(select(Notification)))
    again = runner.invoke(args=["matching", "send-notifications"])
    assert again.exit_code == 0 and len(smtp_server.messages) == 2


def test_a_refused_message_is_retried_later_and_the_rest_still_go(proposed, users, smtp_server,
                                                                  db):
    from web.models import Notification
    from web.services.notifications import send_pending

    smtp_server.refuse.add("lead@example.nl")
    assert send_pending() == (1, 1)
    failed = db.session.scalars(select(Notification).where(Notification.sent_at.is_(None))).one()
    assert failed.attempts == 1 and "550" in failed.last_error
    smtp_server.refuse.clear()
    assert send_pending() == (1, 0)
    assert len(smtp_server.messages) == 2


def test_without_smtp_nothing_is_sent_and_messages_stay_on_the_site(proposed, users, runner):
    from web.services.notifications import notifications_for, send_pending

    assert send_pending() == (0, 0)
    result = runner.invoke(args=["matching", "send-notifications"])
    assert result.exit_code == 0 and "MAIL_SERVER" in result.output
    assert len(notifications_for(users["lead"])) == 1
