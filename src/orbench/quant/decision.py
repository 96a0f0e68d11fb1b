"""From paired results to a decision: one verdict per quant over its suites, and the recommendation.

A quant is "worse" when it is worse on any suite, "inconclusive" when it is not worse nowhere shown
but some suite is undecided, and "not worse" when it is not worse on every suite. The recommendation
is the smallest file that is not worse on every suite and within the KLD limit; when no smaller file
can be shown not worse but some are undecided, there is no recommendation, only the items needed.
Either way the sentence names, per smaller quant, the test that ruled it out (the accuracy verdict
on which suite, or the mean-KLD limit) and the evidence behind it (items per suite, KLD positions),
so a decision that rests on KLD positions is not mistaken for one read off a handful of items.
"""

from __future__ import annotations

from dataclasses import dataclass

from .compare import PairedResult


@dataclass
class QuantVerdict:
    label: str
    verdict: str  # reference, not worse, worse, inconclusive
    results: list[PairedResult]

    @property
    def items_needed(self) -> int | None:
        """Items per suite that would decide every undecided suite (None: more than a million)."""
        needs = [r.items_needed for r in self.results if r.verdict == "inconclusive"]
        return None if not needs or None in needs else max(n for n in needs if n is not None)

    def evidence(self) -> str:
        """`math -3.3 pp [-11.4, +2.9], need ≈240 items; code +0.0 pp [-4.1, +4.1]`: per suite, the
        difference with its interval, the verdict where it differs from the quant's, the items needed."""
        parts = []
        for r in self.results:
            d = r.difference
            if d.value is None or d.low is None or d.high is None:
                parts.append(f"{r.suite} no shared items")
                continue
            text = f"{r.suite} {d.value * 100:+.1f} pp [{d.low * 100:+.1f}, {d.high * 100:+.1f}]"
            if r.verdict != self.verdict:
                text += f" {r.verdict}"
            if r.verdict == "inconclusive":
                text += f", {need_text(r.items_needed)}"
            parts.append(text)
        return "; ".join(parts)


def need_text(items: int | None) -> str:
    return "need more than 1,000,000 items" if items is None else f"need ≈{items:,} items"


def quant_verdicts(paired: list[PairedResult]) -> dict[str, QuantVerdict]:
    out: dict[str, QuantVerdict] = {}
    for r in paired:
        out.setdefault(r.label, QuantVerdict(r.label, "not worse", [])).results.append(r)
    for v in out.values():
        kinds = {r.verdict for r in v.results}
        v.verdict = ("reference" if kinds == {"reference"} else "worse" if "worse" in kinds
                     else "inconclusive" if kinds - {"not worse"} else "not worse")
    return out


@dataclass
class Candidate:
    label: str
    file_mb: float
    kld: float | None
    kld_positions: int | None = None  # token positions the mean KLD was measured on


def _items(v: QuantVerdict) -> str:
    counts = sorted({r.shared_items for r in v.results})
    return f"{counts[0]} items" if len(counts) == 1 else f"{counts[0]}-{counts[-1]} items per suite"


def ruled_out(c: Candidate, v: QuantVerdict, max_kld: float) -> str | None:
    """Why a smaller quant cannot be recommended, with the evidence; None when nothing rules it out."""
    reasons = []
    if c.kld is not None and c.kld > max_kld:
        on = f" on {c.kld_positions:,} positions" if c.kld_positions else ""
        reasons.append(f"mean KLD {c.kld:.4f} > {max_kld:g}{on}")
    worse = [r for r in v.results if r.verdict == "worse"]
    if worse:
        reasons.append("accuracy worse on " + ", ".join(
            f"{r.suite} ({r.difference.value * 100:+.1f} pp, {r.shared_items} items)" for r in worse
            if r.difference.value is not None))
    if not reasons:
        return None
    text = f"{c.label}: " + " and ".join(reasons)
    if not worse and v.verdict == "inconclusive":
        text += f" (its accuracy on {_items(v)} could not decide either way: the KLD decides)"
    elif not worse and v.verdict == "not worse":
        text += f" (accuracy shown not worse on {_items(v)})"
    return text


def recommend(candidates: list[Candidate], verdicts: dict[str, QuantVerdict], reference: str,
              reference_mb: float | None, max_kld: float, margin: float) -> tuple[str, str | None]:
    """The recommendation sentence and the recommended label (None: no recommendation)."""
    smaller = sorted((c for c in candidates if c.label != reference and c.label in verdicts
                      and (reference_mb is None or c.file_mb < reference_mb)), key=lambda c: c.file_mb)
    undecided: list[QuantVerdict] = []
    excluded: list[str] = []
    for c in smaller:
        v = verdicts[c.label]
        why = ruled_out(c, v, max_kld)
        if why is not None:
            excluded.append(why)
            continue
        if v.verdict == "not worse":
            kld = f", mean KLD {c.kld:.4f} ≤ {max_kld}" if c.kld is not None else ", KLD not measured"
            text = (f"{c.label} ({c.file_mb:.1f} MB): the smallest quant shown not worse than {reference} by more "
                    f"than {margin * 100:g} points on every suite{kld} ({v.evidence()}).")
            if undecided:
                text += " Smaller but undecided: " + "; ".join(
                    f"{u.label} ({need_text(u.items_needed)} per suite)" for u in undecided) + "."
            return text + _excluded(excluded), c.label
        undecided.append(v)
    if undecided:
        best = min(undecided, key=lambda v: v.items_needed or float("inf"))
        kld = "" if any(c.kld is not None for c in smaller) else "; or a mean KLD over the limit from `orbench kld`"
        return (f"no recommendation: inconclusive, {need_text(best.items_needed)} per suite to decide {best.label} "
                f"({best.evidence()}){kld}; no smaller quant is shown not worse than {reference}."
                + _excluded(excluded), None)
    if not smaller:
        return f"{reference}: the reference is the smallest file compared.", reference
    return f"{reference}: keep the reference; every smaller quant is ruled out." + _excluded(excluded), reference


def _excluded(reasons: list[str]) -> str:
    return (" Ruled out: " + "; ".join(reasons) + ".") if reasons else ""
