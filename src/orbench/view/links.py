"""Ways into the viewer from elsewhere: a link to a sample's page (the report's lost and gained items use
it), and the `orbench view` command that `orbench compare` prints for the items a run lost or gained."""

from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import quote


def sample_href(view_href: str, reference: str, focus: str, change: str = "flipped", key: str | None = None) -> str:
    """A link into the viewer: the list filtered to `change` of `focus` against `reference`, and
    the page of sample `key` (`suite/item#k`) open."""
    params = [("ref", reference), ("focus", focus), ("ch", change)] + ([("s", key)] if key else [])
    return view_href + "#" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params)


def view_command(folders: list[Path], reference: str, focus: str, change: str = "flipped") -> str:
    """The `orbench view` command that lists exactly the items `focus` lost or gained against `reference`."""
    paths = " ".join(shlex.quote(str(f)) for f in folders)
    return (f"orbench view {paths} --reference {shlex.quote(reference)} --focus {shlex.quote(focus)} "
            f"--filter {change}")
