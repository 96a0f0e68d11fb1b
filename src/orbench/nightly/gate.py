"""The regression gate: compare a run with a baseline and decide an exit code.

Rules are written `METRIC<THRESHOLD` with a unit: `accuracy<-2pp` (percentage points),
`accuracy<-5%` (relative), `tokens_per_s<-10%` (relative).

- An accuracy drop counts only when it is past the threshold AND significant (paired on the shared
  items: the score interval of the difference below zero and exact McNemar p < alpha). Each finding
  carries the smallest drop the run could detect (80% power at the observed discordance); a rule
  whose threshold is smaller than that is *underpowered*: a warning, or a failure with
  `fail_underpowered`.
- Speed compares the per-sample generation rates of both runs (every sample is a measurement;
  samples decoded in exactly the same steps of the batched engine share one and count once):
  the ratio of their medians, with the distribution-free 95% interval of the ratio (Mann-Whitney,
  around the Hodges-Lehmann estimate on log rates) as the noise band. A slowdown counts only when
  it is past the threshold AND the whole interval lies below no change, so one noisy sample or a
  noisy run average does not fail a night. The rule is underpowered when the noise band is wider
  than the threshold (half its width is reported as the detectable change), or with fewer than 5
  timed samples a side.

Exit codes: 0 no regression, 1 regression (or an underpowered rule with `fail_underpowered`),
2 usage or input error, 3 too many infrastructure errors (the run cannot be trusted either way).
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timezone
from pathlib import Path


from ..quant.compare import check_alpha, paired, require_common_ground
from ..run.loader import LoadedRun, load_runs
from ..files import write_text
from ..errors import EXIT_INFRA, EXIT_OK, EXIT_REGRESSION, OrbenchError
from ..stats import log_shift, significant_drop
from .findings import Finding, GateResult, Rule, parse_rule
from .gate_report import junit_xml, markdown

MIN_TIMED = 5


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
    for s in run.summary.suites:
        if not any(b.suite == s.suite for b in base.summary.suites):
            continue
        result = paired(run, base, s.suite, alpha=alpha)
        d, ref = result.difference, result.reference_accuracy.value
        if d.value is None or ref is None:
            continue
        scale = 100.0 if rule.unit == "pp" else (100.0 / ref if ref else 0.0)
        change = d.value * scale
        significant = significant_drop(result.difference, result.p_value, alpha)
        regression = change < rule.threshold and significant
        detectable = result.detectable_drop * scale if result.detectable_drop is not None and scale else None
        out.append(Finding(
            label=run.label, suite=s.suite, rule=str(rule), baseline=ref, current=ref + d.value, change=change,
            low=None if d.low is None else d.low * scale, high=None if d.high is None else d.high * scale,
            n=result.shared_items, p_value=result.p_value, significant=significant, detectable=detectable,
            underpowered=not regression and detectable is not None and detectable > -rule.threshold,
            regression=regression, seconds=s.wall_seconds))
    return out


def sample_rates(run: LoadedRun) -> list[float]:
    """Generation tokens/s of the scored samples that measured their generation time. Samples that
    the batched engine decoded in exactly the same steps share one timing: they count once."""
    timings = {(r.completion_tokens, round(r.generation_seconds, 9)) for r in run.records
               if r.status == "ok" and r.generation_seconds and r.completion_tokens > 0}
    return [tokens / seconds for tokens, seconds in sorted(timings)]


def _speed_finding(run: LoadedRun, base: LoadedRun, rule: Rule, alpha: float) -> list[Finding]:
    now, then = sample_rates(run), sample_rates(base)
    wall = run.summary.performance.wall_seconds if run.summary.performance else None
    shift = log_shift(now, then, alpha)
    if shift is None:
        a = run.summary.performance.generation_tokens_per_s if run.summary.performance else None
        b = base.summary.performance.generation_tokens_per_s if base.summary.performance else None
        if not a or not b:
            return []
        return [Finding(label=run.label, suite="performance", rule=str(rule), baseline=b, current=a,
                        change=(a - b) / b * 100, n=len(now), underpowered=True, regression=False, seconds=wall,
                        note=f"fewer than {MIN_TIMED} timed samples in a run: one average is not judged")]
    _, low, high = shift
    median_now, median_then = statistics.median(now), statistics.median(then)
    change = (median_now / median_then - 1) * 100
    regression = change < rule.threshold and high < 1
    noise = (high - low) / 2 * 100  # half the width of the noise band, in percent
    return [Finding(label=run.label, suite="performance", rule=str(rule), baseline=median_then, current=median_now,
                    change=change, low=(low - 1) * 100, high=(high - 1) * 100, n=len(now), significant=high < 1,
                    detectable=noise, underpowered=not regression and noise > -rule.threshold,
                    regression=regression, seconds=wall)]


def _notes(run: LoadedRun, ref: LoadedRun) -> list[str]:
    notes = []
    a, b = run.summary.provenance, ref.summary.provenance
    if a.sha256 != b.sha256:
        locked = " (pinned by a lock file)" if a.locked else " without a lock file"
        notes.append(f"{run.label}: model file changed{locked}: baseline {str(b.sha256)[:16]}…, now {str(a.sha256)[:16]}…")
    if a.sampler != b.sampler or a.seed != b.seed:
        notes.append(f"{run.label}: sampler settings or seed differ from the baseline")
    pa, pb = run.summary.performance, ref.summary.performance
    if pa and pb and pa.parallel != pb.parallel:
        notes.append(f"{run.label}: decoded {pa.parallel} sequences together, the baseline {pb.parallel}: "
                     "per-sample speeds are not comparable")
    return notes


def evaluate(run_dir: Path, baseline_dir: Path, rules: list[Rule], alpha: float = 0.05,
             max_error_rate: float = 0.05, fail_underpowered: bool = False,
             allow_grader_mismatch: bool = False) -> GateResult:
    from ..run.grader_mix import check_grader_versions

    started = time.perf_counter()
    check_alpha(alpha)
    if not 0.0 <= max_error_rate <= 1.0:  # NaN fails this too
        raise OrbenchError(f"--max-error-rate: a share between 0 and 1, got {max_error_rate}")
    runs, base = load_runs([run_dir]), load_runs([baseline_dir])
    findings: list[Finding] = []
    notes: list[str] = check_grader_versions([*runs, *base], allow_grader_mismatch)
    pairs = _pair_up(runs, base)
    for run, ref in pairs:
        require_common_ground([run], ref, alpha)
    for run, ref in pairs:
        for rule in rules:
            findings += (_accuracy_findings(run, ref, rule, alpha) if rule.metric == "accuracy"
                         else _speed_finding(run, ref, rule, alpha))
        notes += _notes(run, ref)
    samples = sum(r.summary.samples_done for r in runs)
    errors = sum(r.summary.errors for r in runs)
    error_rate = errors / samples if samples else 0.0
    regressions = sum(f.regression for f in findings)
    underpowered = sum(f.underpowered for f in findings)
    if underpowered:
        notes.append(f"{underpowered} rule(s) underpowered: the run is too small to detect a drop of the rule's size "
                     f"({'a failure' if fail_underpowered else 'a warning, not a pass'}); see 'detectable'")
    if error_rate > max_error_rate:
        code = EXIT_INFRA
        notes.append(f"{errors} of {samples} samples failed with infrastructure errors ({error_rate:.1%} > "
                     f"{max_error_rate:.1%}); the comparison cannot be trusted")
    else:
        failed = regressions or (fail_underpowered and underpowered)
        code = EXIT_REGRESSION if failed else EXIT_OK
    return GateResult(exit_code=code, regressions=regressions, underpowered=underpowered,
                      fail_underpowered=fail_underpowered, findings=findings, error_rate=round(error_rate, 4),
                      max_error_rate=max_error_rate, notes=notes,
                      timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                      seconds=round(time.perf_counter() - started, 3), run=str(run_dir), baseline=str(baseline_dir))


def run_gate(run_dir: Path, baseline_dir: Path, rules: list[str], alpha: float = 0.05, max_error_rate: float = 0.05,
             junit: Path | None = None, markdown_file: Path | None = None,
             fail_underpowered: bool = False, allow_grader_mismatch: bool = False) -> GateResult:
    """Evaluate the gate and write its JUnit XML and Markdown files where asked; runs graded by
    different grader versions are refused (exit 2) unless `allow_grader_mismatch`."""
    result = evaluate(run_dir, baseline_dir, [parse_rule(r) for r in rules], alpha, max_error_rate, fail_underpowered,
                      allow_grader_mismatch)
    if junit:
        write_text(junit, junit_xml(result), "the gate's report")
    if markdown_file:
        write_text(markdown_file, markdown(result), "the gate's report")
    return result
