"""The report's list of lost and gained items, each linked to its page in the viewer."""

from __future__ import annotations

from html import escape

from ..view.links import sample_href
from .compare import PairedResult

LINKS_PER_LIST = 40  # per suite and run in the report; the rest are one click away in the viewer


def report_section(paired: list[PairedResult], reference: str, view_href: str) -> str:
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
