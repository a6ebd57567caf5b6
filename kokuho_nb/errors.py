"""Errors a user can act on. Their message is Japanese (what staff read), optionally with English detail."""

from __future__ import annotations


class UserError(Exception):
    """A problem with input or arguments, shown to the user without a traceback.

    ``message`` is Japanese; ``detail`` is an optional English line for developers and logs.
    The CLI prints both and exits with ``exit_code``.
    """

    exit_code = 2

    def __init__(self, message: str, detail: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message if not self.detail else f"{self.message} ({self.detail})"
