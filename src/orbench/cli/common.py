"""Output helpers, logging set-up, and the one place where errors become exit codes."""

from __future__ import annotations

import functools
import json
import logging
import math
import sys
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import typer

from ..errors import EXIT_INTERRUPTED, OrbenchError

if TYPE_CHECKING:
    from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])


def handled(fn: F) -> F:
    """Turn OrbenchError into one line on stderr and its exit code; Ctrl-C into exit 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            refuse_non_finite(kwargs)
            return fn(*args, **kwargs)
        except OrbenchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


def refuse_non_finite(values: dict[str, Any]) -> None:
    """NaN and infinity are no option's value (click's ranges let them through): refused by flag."""
    for name, value in values.items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, float) and not math.isfinite(v):
                raise OrbenchError(f"--{name.replace('_', '-')}: {v} is not a finite number")


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {message}"
        return f"debug: {message}" if record.levelno < logging.INFO else message


def setup_logging(verbose: bool = False) -> None:
    """Library messages go to stderr: info plainly, warnings as 'warning: ...', debug with --verbose."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    logger = logging.getLogger("orbench")
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def console() -> Console:
    """Rich console for tables; wide enough for the tables when output goes to a file or pipe."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)
