"""Ways into the viewer from elsewhere: links from report.html to a sample's page, and the `orbench
view` command that `orbench compare` prints for the items a run lost or gained."""

from __future__ import annotations

import shlex
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from ..quant.compare import PairedResult

LINKS_PER_LIST = 40  # per suite and run in the report; the rest are one click away in the viewer


def sample_href(view_href: str, reference: str, focus: str, change: str = "flipped", key: str | None = None) -> str:
    """A link into the viewer: the list filtered to `change` of `focus` against `reference`, and
    the page of sample `key` (`suite/item#k`) open."""
    params = [("ref", reference), ("focus", focus), ("ch", change)] + ([("s", key)] if key else [])
    return view_href + "#" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params)


def report_section(paired: list["PairedResult"], reference: str, view_href: str) -> str:
    """HTML listing each run's lost and gained items per suite, each linked to its page in the viewer."""
    parts = ["<h2>Lost and gained items</h2>",
             f"<p>Against {escape(reference)}; each item opens its page in the <a href='{escape(view_href)}'>viewer</a>, "
             "with the reference's reply beside this run's.</p>"]
    listed = 0
    for result in paired:
        if result.label == reference:
            continue
        for change, labels in (("lost", result.lost), ("gained", result.gained)):
            if not labels:
                continue
            listed += 1
            links = [f"<a href='{escape(sample_href(view_href, reference, result.label, change, f'{result.suite}/{label}'))}'>"
                     f"{escape(label)}</a>" for label in labels[:LINKS_PER_LIST]]
            more = len(labels) - LINKS_PER_LIST
            if more > 0:
                links.append(f"<a href='{escape(sample_href(view_href, reference, result.label, change))}'>"
                             f"{more} more</a>")
            parts.append(f"<p><b>{escape(result.suite)} {escape(result.label)}</b> {change} {len(labels)}: "
                         + ", ".join(links) + "</p>")
    if not listed:
        parts.append("<p>No item flipped between a run and the reference.</p>")
    return "".join(parts)


def view_command(folders: list[Path], reference: str, focus: str, change: str = "flipped") -> str:
    """The `orbench view` command that lists exactly the items `focus` lost or gained against `reference`."""
    paths = " ".join(shlex.quote(str(f)) for f in folders)
    return (f"orbench view {paths} --reference {shlex.quote(reference)} --focus {shlex.quote(focus)} "
            f"--filter {change}")
