"""The regression gate: compare a run with a baseline and decide an exit code.

Rules are written `METRIC<THRESHOLD` with a unit: `accuracy<-2pp` (percentage points),
`accuracy<-5%` (relative), `tokens_per_s<-10%` (relative). An accuracy drop counts only when it
is past the threshold AND significant (paired on the shared items: exact McNemar p < alpha and
the bootstrap interval of the difference below zero). Speed has no paired test: a relative drop
past the threshold counts. Exit codes: 0 no regression, 1 regression, 2 usage or input error,
3 too many infrastructure errors (the run cannot be trusted either way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from pydantic import BaseModel

from .compare import LoadedRun, load_runs, paired
from .errors import EXIT_INFRA, EXIT_OK, EXIT_REGRESSION, OrbenchError
from .stats import significant_drop

METRICS = ("accuracy", "tokens_per_s")


@dataclass(frozen=True)
class Rule:
    metric: str
    threshold: float
    unit: str  # "pp" or "%"

    def __str__(self) -> str:
        return f"{self.metric}<{self.threshold:g}{self.unit}"


def parse_rule(text: str) -> Rule:
    m = re.fullmatch(r"\s*(\w+)\s*<\s*(-?\d+(?:\.\d+)?)\s*(pp|%)\s*", text)
    if not m or m.group(1) not in METRICS or (m.group(1) == "tokens_per_s" and m.group(3) == "pp"):
        raise OrbenchError(f"cannot read --fail-on '{text}'",
                           hint="write METRIC<THRESHOLD with METRIC accuracy (pp or %) or tokens_per_s (%), "
                                "e.g. accuracy<-2pp")
    return Rule(m.group(1), float(m.group(2)), m.group(3))


class Finding(BaseModel):
    label: str
    suite: str
    rule: str
    baseline: float | None
    current: float | None
    change: float | None
    p_value: float | None = None
    significant: bool | None = None
    regression: bool


class GateResult(BaseModel):
    exit_code: int
    regressions: int
    findings: list[Finding]
    error_rate: float
    max_error_rate: float
    notes: list[str]


def _pair_up(runs: list[LoadedRun], base: list[LoadedRun]) -> list[tuple[LoadedRun, LoadedRun]]:
    by_label = {b.label: b for b in base}
    pairs = [(r, by_label[r.label]) for r in runs if r.label in by_label]
    if not pairs and len(runs) == 1 and len(base) == 1:
        pairs = [(runs[0], base[0])]
    if not pairs:
        raise OrbenchError("the run and the baseline share no model or quant to compare",
                           hint=f"run: {', '.join(r.label for r in runs)}; baseline: {', '.join(b.label for b in base)}")
    return pairs


def _accuracy_findings(run: LoadedRun, base: LoadedRun, rule: Rule, alpha: float) -> list[Finding]:
    out = []
    for suite in [s.suite for s in run.summary.suites if any(b.suite == s.suite for b in base.summary.suites)]:
        result = paired(run, base, suite)
        d, ref = result.difference.value, result.reference_accuracy.value
        if d is None or ref is None:
            continue
        change = d * 100 if rule.unit == "pp" else (d / ref * 100 if ref else 0.0)
        significant = significant_drop(result.difference, result.p_value, alpha)
        out.append(Finding(label=run.label, suite=suite, rule=str(rule), baseline=ref, current=ref + d, change=change,
                           p_value=result.p_value, significant=significant,
                           regression=change < rule.threshold and significant))
    return out


def _speed_finding(run: LoadedRun, base: LoadedRun, rule: Rule) -> list[Finding]:
    now = run.summary.performance.generation_tokens_per_s if run.summary.performance else None
    then = base.summary.performance.generation_tokens_per_s if base.summary.performance else None
    if not now or not then:
        return []
    change = (now - then) / then * 100
    return [Finding(label=run.label, suite="performance", rule=str(rule), baseline=then, current=now, change=change,
                    regression=change < rule.threshold)]


def evaluate(run_dir: Path, baseline_dir: Path, rules: list[Rule], alpha: float = 0.05,
             max_error_rate: float = 0.05, allow_grader_mismatch: bool = False) -> GateResult:
    from .gradercheck import check_grader_versions

    runs, base = load_runs([run_dir]), load_runs([baseline_dir])
    findings: list[Finding] = []
    notes: list[str] = check_grader_versions([*runs, *base], allow_grader_mismatch)
    for run, ref in _pair_up(runs, base):
        for rule in rules:
            findings += (_accuracy_findings(run, ref, rule, alpha) if rule.metric == "accuracy"
                         else _speed_finding(run, ref, rule))
        a, b = run.summary.provenance, ref.summary.provenance
        if a.sha256 != b.sha256:
            locked = " (pinned by a lock file)" if a.locked else " without a lock file"
            notes.append(f"{run.label}: model file changed{locked}: baseline {str(b.sha256)[:16]}…, now {str(a.sha256)[:16]}…")
        if a.sampler != b.sampler or a.seed != b.seed:
            notes.append(f"{run.label}: sampler settings or seed differ from the baseline")
    samples = sum(r.summary.samples_done for r in runs)
    errors = sum(r.summary.errors for r in runs)
    error_rate = errors / samples if samples else 0.0
    regressions = sum(f.regression for f in findings)
    if error_rate > max_error_rate:
        code = EXIT_INFRA
        notes.append(f"{errors} of {samples} samples failed with infrastructure errors ({error_rate:.1%} > "
                     f"{max_error_rate:.1%}); the comparison cannot be trusted")
    else:
        code = EXIT_REGRESSION if regressions else EXIT_OK
    return GateResult(exit_code=code, regressions=regressions, findings=findings, error_rate=round(error_rate, 4),
                      max_error_rate=max_error_rate, notes=notes)


def run_gate(run_dir: Path, baseline_dir: Path, rules: list[str], alpha: float = 0.05, max_error_rate: float = 0.05,
             junit: Path | None = None, markdown_file: Path | None = None,
             allow_grader_mismatch: bool = False) -> GateResult:
    """Evaluate the gate and write its JUnit XML and Markdown files where asked; runs graded by
    different grader versions are refused (exit 2) unless `allow_grader_mismatch`."""
    result = evaluate(run_dir, baseline_dir, [parse_rule(r) for r in rules], alpha, max_error_rate,
                      allow_grader_mismatch)
    try:
        if junit:
            junit.write_text(junit_xml(result), encoding="utf-8")
        if markdown_file:
            markdown_file.write_text(markdown(result), encoding="utf-8")
    except OSError as exc:
        raise OrbenchError(f"cannot write the gate's report: {exc.filename}: {exc.strerror}") from None
    return result


def junit_xml(result: GateResult, name: str = "orbench") -> str:
    """One test case per model/quant x suite (and one for speed), failing on a regression."""
    cases = []
    for f in result.findings:
        body = ""
        if f.regression:
            msg = f"{f.rule}: change {f.change:+.2f} (baseline {f.baseline:.4g}, now {f.current:.4g}, p={f.p_value})"
            body = f"<failure message={quoteattr(msg)} type=\"regression\"/>"
        cases.append(f"  <testcase classname={quoteattr(f.label)} name={quoteattr(f.suite + ' ' + f.rule)}>"
                     f"{body}</testcase>")
    if result.exit_code == EXIT_INFRA:
        cases.append(f"  <testcase classname=\"orbench\" name=\"infrastructure\"><error message="
                     f"{quoteattr(result.notes[-1])}/></testcase>")
    failures = sum(f.regression for f in result.findings)
    errors = int(result.exit_code == EXIT_INFRA)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name={quoteattr(name)} tests="{len(cases)}" '
            f'failures="{failures}" errors="{errors}">\n' + "\n".join(cases) + "\n</testsuite>\n")


def markdown(result: GateResult) -> str:
    verdict = {0: "no regression", 1: "REGRESSION", 3: "too many infrastructure errors"}[result.exit_code]
    lines = [f"## orbench gate: {verdict} (exit {result.exit_code})", "",
             "| run | suite | rule | baseline | now | change | p | regression |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for f in result.findings:
        lines.append(f"| {f.label} | {f.suite} | {f.rule} | {f.baseline:.4g} | {f.current:.4g} | {f.change:+.2f} | "
                     f"{'-' if f.p_value is None else f'{f.p_value:.3g}'} | {'yes' if f.regression else 'no'} |")
    lines += [""] + [f"- {n}" for n in result.notes]
    return "\n".join(lines) + "\n"
