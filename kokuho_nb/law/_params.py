"""Parameter look-up for the law module: the current :class:`kokuho_nb.params.Tree`.

The law module's own caches (closed days of a year, the year's rates) are keyed by :func:`key`, the state of the
parameter files: a file edited in a running process gives a new key, so nothing has to be cleared by hand.
"""

from __future__ import annotations

from kokuho_nb import params
from kokuho_nb.params import Parameter


def lp(name: str) -> Parameter:
    """The dated law parameter ``name`` (``law.entaikin.rate_lower``)."""
    return params.tree().parameter(name)


def key() -> str:
    """The current state of the parameter files (part of every law cache key)."""
    return params.tree().key
