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

import time
from datetime import datetime, timezone
from pathlib import Path


from ..files import write_text
from ..quant.compare import check_alpha, paired, require_common_ground
from ..quant.family import NIGHTS, night_alpha
from ..run.loader import LoadedRun, load_runs
from ..run.speed import run_speed, sample_rates
from ..errors import EXIT_INFRA, EXIT_OK, EXIT_REGRESSION, OrbenchError
from ..stats import log_shift, significant_drop
from .findings import Finding, GateResult, Rule, parse_rule
from .gate_report import junit_xml, markdown
from .rounds import ROUNDS_FILE

MIN_TIMED = 5
GATE_FILE = "gate.json"  # a night's gate result, beside its junit.xml and summary.md


def _pair_up(runs: list[LoadedRun], base: list[LoadedRun]) -> list[tuple[LoadedRun, LoadedRun]]:
    by_label = {b.label: b for b in base}
    pairs = [(r, by_label[r.label]) for r in runs if r.label in by_label]
    if not pairs and len(runs) == 1 and len(base) == 1:
        pairs = [(runs[0], base[0])]
    if not pairs:
        raise OrbenchError("the run and the baseline share no model or quant to compare",
                           hint=f"run: {', '.join(r.label for r in runs)}; baseline: {', '.join(b.label for b in base)}")
    return pairs


def _accuracy_findings(run: LoadedRun, base: LoadedRun, rule: Rule, alpha: float, level: float) -> list[Finding]:
    """One finding per shared suite: the change with its interval at `alpha` for people to read, and
    the smallest drop detectable at the night's `level` (the decision is `_family`'s)."""
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
        drop = paired(run, base, s.suite, alpha=level).detectable_drop
        detectable = drop * scale if drop is not None and scale else None
        out.append(Finding(
            label=run.label, suite=s.suite, rule=str(rule), baseline=ref, current=result.accuracy.value, change=change,
            low=None if d.low is None else d.low * scale, high=None if d.high is None else d.high * scale,
            n=result.shared_items, p_value=result.p_value, detectable=detectable,
            regression=False, seconds=s.wall_seconds))  # significant, regression, underpowered: `_family` decides
    return out


def _family(candidates: list[tuple[Finding, LoadedRun, LoadedRun, Rule]], level: float) -> None:
    """Holm's step-down over a night's accuracy findings at `level` (quant/family.py): in order of
    their McNemar p-values, the i-th of m findings is a significant drop only when the paired score
    interval at level/(m-i+1) lies below zero and exact McNemar agrees at that level, and the first
    that is not ends the step-down. A regression is such a drop past its rule's threshold."""
    order = sorted(range(len(candidates)), key=lambda i: _p(candidates[i][0]))
    going = True
    for rank, i in enumerate(order):
        finding, run, base, rule = candidates[i]
        step = level / (len(order) - rank)
        if going:
            result = paired(run, base, finding.suite, alpha=step)
            going = significant_drop(result.difference, result.p_value, step)
        finding.significant = going
        finding.regression = going and finding.change is not None and finding.change < rule.threshold
        finding.underpowered = (not finding.regression and finding.detectable is not None
                                and finding.detectable > -rule.threshold)


def _adaptive(run_dir: Path, baseline_dir: Path, candidates: list) -> list[str]:
    """A night run with until_decided: its accuracy findings are its anytime-valid tests' (rounds.py)."""
    from .rounds import apply_rounds, read_rounds

    record = read_rounds(run_dir)
    return apply_rounds(candidates, record, baseline_dir) if record else []


def _p(finding: Finding) -> float:
    return finding.p_value if finding.p_value is not None else 1.0


def _speed_finding(run: LoadedRun, base: LoadedRun, rule: Rule, alpha: float) -> list[Finding]:
    now, then = sample_rates(run.records), sample_rates(base.records)
    speed_now, speed_then = run_speed(run), run_speed(base)
    wall = run.summary.performance.wall_seconds if run.summary.performance else None
    if speed_now is None or speed_then is None:
        return []
    spread = f"baseline {speed_then.text()}; now {speed_now.text()}"
    shift = log_shift(now, then, alpha)
    if shift is None:
        a, b = speed_now.median, speed_then.median
        return [Finding(label=run.label, suite="performance", rule=str(rule), baseline=b, current=a,
                        change=(a - b) / b * 100, n=len(now), underpowered=True, regression=False, seconds=wall,
                        note=f"fewer than {MIN_TIMED} timed samples in a run: one average is not judged; {spread}")]
    _, low, high = shift
    change = (speed_now.median / speed_then.median - 1) * 100
    regression = change < rule.threshold and high < 1
    noise = (high - low) / 2 * 100  # half the width of the noise band, in percent
    return [Finding(label=run.label, suite="performance", rule=str(rule), baseline=speed_then.median,
                    current=speed_now.median, change=change, low=(low - 1) * 100, high=(high - 1) * 100, n=len(now),
                    significant=high < 1, detectable=noise, underpowered=not regression and noise > -rule.threshold,
                    regression=regression, seconds=wall, note=spread)]


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
             allow_grader_mismatch: bool = False, nights: int = NIGHTS) -> GateResult:
    """The gate's findings and exit code. `alpha` is the chance of a false red over `nights`
    consecutive nights with nothing changed: each night spends alpha/nights, shared by Holm over
    its accuracy findings (quant/family.py)."""
    from ..run.grader_mix import check_grader_versions

    started = time.perf_counter()
    check_alpha(alpha)
    if not 0.0 <= max_error_rate <= 1.0:  # NaN fails this too
        raise OrbenchError(f"--max-error-rate: a share between 0 and 1, got {max_error_rate}")
    runs, base = load_runs([run_dir]), load_runs([baseline_dir])
    findings: list[Finding] = []
    level = night_alpha(alpha, nights)
    candidates: list[tuple[Finding, LoadedRun, LoadedRun, Rule]] = []
    notes: list[str] = check_grader_versions([*runs, *base], allow_grader_mismatch)
    pairs = _pair_up(runs, base)
    for run, ref in pairs:  # an adaptive night's anytime-valid tests hold at any number of items
        if not (run_dir / ROUNDS_FILE).is_file():
            require_common_ground([run], ref, alpha)
    for run, ref in pairs:
        for rule in rules:
            if rule.metric == "accuracy":
                found = _accuracy_findings(run, ref, rule, alpha, level)
                candidates += [(f, run, ref, rule) for f in found]
                findings += found
            else:
                findings += _speed_finding(run, ref, rule, alpha)
        notes += _notes(run, ref)
    _family(candidates, level)
    notes += _adaptive(run_dir, baseline_dir, candidates)
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
             fail_underpowered: bool = False, allow_grader_mismatch: bool = False, nights: int = NIGHTS,
             json_file: Path | None = None) -> GateResult:
    """Evaluate the gate and write its JUnit XML, Markdown and JSON files where asked; runs graded by
    different grader versions are refused (exit 2) unless `allow_grader_mismatch`."""
    result = evaluate(run_dir, baseline_dir, [parse_rule(r) for r in rules], alpha, max_error_rate, fail_underpowered,
                      allow_grader_mismatch, nights)
    if junit:
        write_text(junit, junit_xml(result), "the gate's report")
    if markdown_file:
        write_text(markdown_file, markdown(result), "the gate's report")
    if json_file:
        write_text(json_file, result.model_dump_json(indent=2) + "\n", "the gate's report")
    return result
