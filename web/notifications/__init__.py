"""The user's messages (the outbox as shown on the site) and the unread count in the nav."""

from web.notifications.views import bp

__all__ = ["bp"]
