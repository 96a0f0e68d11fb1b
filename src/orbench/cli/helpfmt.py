"""Help pages: a plain flag (`--json`, `-q`, `--help`) takes no value, so its row shows no type.

Typer's rich help (0.2x) writes `<bool>` in the type column of every boolean flag, which reads as
if `--json <bool>` wanted an argument. `plain_flags_untyped` wraps the one method that writes that
column so that it leaves it empty for flags; options that take a value keep their type. Where an
older or newer typer has no such method, nothing is changed.
"""

from __future__ import annotations

from typing import Any


def plain_flags_untyped() -> None:
    from typer import core

    option = getattr(core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if option is None or shown is None or getattr(shown, "_orbench_flags_untyped", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and not getattr(self, "count", False):
            return None
        return shown(self, ctx)

    display_type_rich._orbench_flags_untyped = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich
