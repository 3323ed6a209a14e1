"""The depot manager's pages: their depots, stock, capacity chart, ledger, and the stock forms."""

from web.depots.views import bp

__all__ = ["bp"]
