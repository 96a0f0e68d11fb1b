"""From sample records to a suite summary: accuracy, pass@k, majority vote, breakdowns, speed."""

from __future__ import annotations

from collections import Counter, defaultdict

from .records import SampleRecord, SuiteSummary
from ..grading.extract import normalize_text
from ..stats import Estimate, ks_to_report, majority, mean_interval, pass_at_k
from ..units import tokens_per_s


def summarize_suite(suite: str, kind: str, records: list[SampleRecord], samples_per_item: int,
                    prompt_set_hash: str) -> SuiteSummary:
    """Everything is derived from the records (they carry each item's category and difficulty),
    so a resumed or merged run is summarised exactly like an uninterrupted one."""
    by_item: dict[str, list[SampleRecord]] = defaultdict(list)
    for record in records:
        by_item[record.item_id].append(record)
    ok = {item_id: [r for r in recs if r.status == "ok"] for item_id, recs in by_item.items()}
    item_meta = {r.item_id: r for r in records}
    scores = {item_id: sum(bool(r.correct) for r in recs) / len(recs) for item_id, recs in ok.items() if recs}

    pass_k: dict[str, Estimate] = {}
    if samples_per_item > 1:
        for k in ks_to_report(samples_per_item):
            values = [pass_at_k(len(recs), sum(bool(r.correct) for r in recs), k)
                      for recs in ok.values() if len(recs) >= k]
            pass_k[f"pass@{k}"] = mean_interval(values)
    vote = None
    if samples_per_item > 1:
        votes = [float(majority([(_vote_key(r), bool(r.correct)) for r in recs])) for recs in ok.values() if recs]
        vote = mean_interval(votes)

    completion = sum(r.completion_tokens for r in records if r.status == "ok")
    prompt_eval = sum(r.prompt_eval_tokens or 0 for r in records if r.status == "ok")
    prompt_seconds = sum(r.prompt_seconds or 0.0 for r in records if r.status == "ok")
    gen_seconds = sum(r.generation_seconds or 0.0 for r in records if r.status == "ok")
    scored = sum(len(recs) for recs in ok.values())
    flags = Counter(flag for r in records for flag in r.flags)
    return SuiteSummary(
        suite=suite, kind=kind, items=len(by_item), samples=len(records), scored=scored,
        errors=len(records) - scored, accuracy=mean_interval(list(scores.values())), pass_at_k=pass_k,
        majority_vote=vote,
        by_difficulty=_grouped(scores, lambda i: item_meta[i].difficulty),
        by_category=_grouped(scores, lambda i: item_meta[i].category),
        prompt_tokens=sum(r.prompt_tokens for r in records), completion_tokens=completion,
        mean_completion_tokens=round(completion / scored, 1) if scored else None,
        generation_tokens_per_s=tokens_per_s(completion, gen_seconds),
        prompt_tokens_per_s=tokens_per_s(prompt_eval, prompt_seconds),
        flags=dict(sorted(flags.items())), diagnostics=_diagnostics(records, flags, scored),
        prompt_set_hash=prompt_set_hash, grader_version=graded_with(records),
        limit_failures=sum(1 for r in records if set(r.flags) & set(LIMIT_FLAGS)),
    )


def graded_with(records: list[SampleRecord]) -> str | None:
    """The grader version of the graded records (generation errors were not graded): one version,
    None when none recorded one (results from before grader versions), else 'mixed: a, b'."""
    versions = {r.grader_version for r in records if r.finish_reason != "error"}
    if len(versions) <= 1:
        return next(iter(versions), None)
    return "mixed: " + ", ".join(sorted(v or "none" for v in versions))


GRADING_NOTE = "graded with --grading"


def grading_notes(protocol: str) -> list[str]:
    """The summary's note for a run graded under a protocol other than the reference one (none for it)."""
    if protocol == "reference":
        return []
    return [f"{GRADING_NOTE} {protocol}: the benchmarks' answers were read more leniently than their reference "
            "harnesses read them (docs/benchmarks-grading.md), so their scores are not the published protocol's"]


LIMIT_FLAGS = ("time_limit", "memory_limit")  # a code sample that failed because a limit stopped its program
DIAGNOSTIC_FLAGS = ("truncated", "unterminated_thinking", "no_answer", "repetition_loop")


def _diagnostics(records: list[SampleRecord], flags: Counter, scored: int) -> dict[str, float]:
    if not scored:
        return {}
    ok = [r for r in records if r.status == "ok"]
    out = {f"{flag}_rate": round(flags.get(flag, 0) / scored, 4) for flag in DIAGNOSTIC_FLAGS}
    out["mean_thinking_tokens"] = round(sum(r.thinking_tokens for r in ok) / scored, 1)
    return out


def _vote_key(record: SampleRecord) -> str | None:
    return normalize_text(record.extracted) if record.extracted is not None else None


def _grouped(scores: dict[str, float], key) -> dict[str, Estimate]:
    groups: dict[str, list[float]] = defaultdict(list)
    for item_id, value in scores.items():
        groups[key(item_id)].append(value)
    return {name: mean_interval(values) for name, values in sorted(groups.items())}
