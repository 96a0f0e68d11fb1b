"""The gate's result for people and CI: a Markdown summary and a JUnit XML file.

Every finding shows what was measured, passing or not: n, baseline and current values, the change
with its 95% interval, McNemar p (accuracy) and the smallest drop the run could detect.
"""

from __future__ import annotations

from datetime import datetime, timezone
from xml.sax.saxutils import escape, quoteattr

from ..errors import EXIT_INFRA
from .findings import Finding, GateResult


def _value(f: Finding, v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.1%}" if f.rule.startswith("accuracy") else f"{v:.2f} tok/s"


def _unit(f: Finding) -> str:
    return "pp" if f.rule.endswith("pp") else "%"


def _change(f: Finding) -> str:
    if f.change is None:
        return "-"
    text = f"{f.change:+.1f}{_unit(f)}"
    return text + (f" [{f.low:+.1f}, {f.high:+.1f}]" if f.low is not None and f.high is not None else "")


def _detectable(f: Finding) -> str:
    return "-" if f.detectable is None else f"{f.detectable:.1f}{_unit(f)}"


def _p(f: Finding) -> str:
    return "-" if f.p_value is None else f"{f.p_value:.3g}"


def describe(f: Finding) -> str:
    """One line with every measured value of a finding."""
    parts = [f"{f.rule}: baseline {_value(f, f.baseline)}, now {_value(f, f.current)}, change {_change(f)}"]
    if f.n is not None:
        parts.append(f"n {f.n}")
    if f.p_value is not None:
        parts.append(f"McNemar p {_p(f)}")
    if f.detectable is not None:
        parts.append(f"detectable drop {_detectable(f)}")
    if f.note:
        parts.append(f.note)
    return "; ".join(parts)


def headline(result: GateResult) -> str:
    verdict = {0: "no regression", 1: "REGRESSION", 3: "too many infrastructure errors"}[result.exit_code]
    if result.exit_code == 1 and not result.regressions:
        verdict = "UNDERPOWERED"
    extra = f"; {result.underpowered} rule(s) underpowered" if result.underpowered else ""
    return f"orbench gate: {verdict} (exit {result.exit_code}){extra}"


def markdown(result: GateResult) -> str:
    lines = [f"## {headline(result)}", ""]
    if result.run:
        lines += [f"Run `{result.run}` against baseline `{result.baseline}`, {result.timestamp}.", ""]
    lines += ["| run | suite | rule | n | baseline | now | change (95% CI) | McNemar p | detectable drop | status |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for f in result.findings:
        status = {"regression": "**REGRESSION**", "underpowered": "underpowered (warning)", "ok": "ok"}[f.status]
        if f.status == "underpowered" and result.fail_underpowered:
            status = "**underpowered (fails)**"
        lines.append(f"| {f.label} | {f.suite} | {f.rule} | {'-' if f.n is None else f.n} | {_value(f, f.baseline)} | "
                     f"{_value(f, f.current)} | {_change(f)} | {_p(f)} | {_detectable(f)} | {status} |")
    lines += [""] + [f"- {n}" for n in result.notes]
    return "\n".join(lines) + "\n"


def _case(f: Finding, fail_underpowered: bool) -> str:
    text = describe(f)
    body = ""
    if f.regression:
        body = f"<failure message={quoteattr(text)} type=\"regression\"/>"
    elif f.underpowered:
        body = (f"<failure message={quoteattr('underpowered: ' + text)} type=\"underpowered\"/>" if fail_underpowered
                else f"<skipped message={quoteattr('underpowered (warning, not a pass): ' + text)}/>")
    seconds = f" time=\"{f.seconds:.3f}\"" if f.seconds is not None else ""
    return (f"  <testcase classname={quoteattr(f.label)} name={quoteattr(f.suite + ' ' + f.rule)}{seconds}>"
            f"{body}<system-out>{escape(text)}</system-out></testcase>")


def junit_xml(result: GateResult, name: str = "orbench") -> str:
    """One test case per model/quant x suite (and one for speed): a regression fails, an underpowered
    rule is skipped with a warning (or fails with fail_underpowered); every case says what it measured."""
    cases = [_case(f, result.fail_underpowered) for f in result.findings]
    if result.exit_code == EXIT_INFRA:
        cases.append(f"  <testcase classname=\"orbench\" name=\"infrastructure\"><error message="
                     f"{quoteattr(result.notes[-1])}/></testcase>")
    failures = sum(f.regression or (f.underpowered and result.fail_underpowered) for f in result.findings)
    skipped = 0 if result.fail_underpowered else sum(f.underpowered and not f.regression for f in result.findings)
    errors = int(result.exit_code == EXIT_INFRA)
    stamp = f' timestamp="{result.timestamp[:19]}"' if result.timestamp else ""
    total = sum(f.seconds or 0.0 for f in result.findings)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name={quoteattr(name)} tests="{len(cases)}" '
            f'failures="{failures}" errors="{errors}" skipped="{skipped}"{stamp} time="{total:.3f}">\n'
            + "\n".join(cases) + "\n</testsuite>\n")


NO_GATE = "no gate"


def ungated_junit(reason: str, name: str = "orbench") -> str:
    """The JUnit file of a night that had nothing to be gated against: one skipped test case saying
    why, so a CI step that uploads junit.xml always finds it and shows the night as not tested."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")[:19]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name={quoteattr(name)} tests="1" failures="0" '
            f'errors="0" skipped="1" timestamp="{stamp}" time="0.000">\n'
            f'  <testcase classname="orbench" name="gate"><skipped message={quoteattr(f"{NO_GATE}: {reason}")}/>'
            f'</testcase>\n</testsuite>\n')


def ungated_markdown(reason: str) -> str:
    return f"## orbench gate: {NO_GATE}\n\n{reason}\n"
