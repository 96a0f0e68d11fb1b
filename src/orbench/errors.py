"""One error type for everything a user can fix; the CLI maps it to one line and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
EXIT_INFRA = 3
EXIT_INTERRUPTED = 130


class OrbenchError(Exception):
    """A problem the user can act on (bad input, missing file, unreachable Hub).

    The message is shown as a single line on stderr, without a traceback.
    """

    def __init__(self, message: str, exit_code: int = EXIT_USAGE, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"
