"""'My proposals': each party's matches, with accept / reject and the steps after."""

from web.proposals.views import bp

__all__ = ["bp"]
