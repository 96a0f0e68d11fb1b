"""A generated run of many samples with long replies, for the viewer's scale test."""

from __future__ import annotations

import json
import random
from pathlib import Path

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "an", "el", "or", "um", "pe", "dri", "gu", "zo"]


def write_big_samples(folder: Path, samples: int = 10_000, chars: int = 5_000, seed: int = 0) -> int:
    """Replace the samples.jsonl of the run in `folder` by `samples` records whose replies hold about
    `chars` characters of text each (three quarters thinking); returns the characters of reply text."""
    rng = random.Random(seed)
    words = ["".join(rng.choices(SYLLABLES, k=rng.randint(1, 4))) for _ in range(3000)]
    categories, difficulties = ["algebra", "geometry", "counting", "series"], ["easy", "medium", "hard"]
    total = 0
    with open(folder / "samples.jsonl", "w", encoding="utf-8") as fh:
        for i in range(samples):
            text = " ".join(rng.choices(words, k=chars // 6))
            thinking, answer = text[: chars * 3 // 4], text[chars * 3 // 4:] + f" \\boxed{{{i % 97}}}"
            total += len(thinking) + len(answer)
            record = {
                "id": f"math/big-{i:05d}#0", "suite": "math", "item_id": f"big-{i:05d}", "sample": 0, "seed": i,
                "category": categories[i % 4], "difficulty": difficulties[i % 3],
                "prompt": f"Problem {i}: " + " ".join(rng.choices(words, k=40)),
                "output": f"<think>{thinking}</think>{answer}", "thinking": thinking, "extracted": str(i % 97),
                "correct": rng.random() < 0.4, "status": "ok", "detail": "", "finish_reason": "stop",
                "flags": ["repetition_loop"] if i % 50 == 0 else [], "prompt_tokens": 60,
                "completion_tokens": chars // 4, "thinking_tokens": chars * 3 // 16, "seconds": 1.5,
                "grader_version": "math-2",  # grade_math's version
            }
            fh.write(json.dumps(record) + "\n")
    _agree(folder, samples)
    return total


def _agree(folder: Path, samples: int) -> None:
    """Make the run's other files agree with the new samples, as every reader of results checks: the
    summary counts them, and plan.json (whose items they are not) goes."""
    from orbench.files import write_json_atomic
    from orbench.run.records import read_samples, read_summary
    from orbench.run.summarize import summarize_suite

    summary = read_summary(folder / "summary.json")
    suite = summarize_suite("math", "math", read_samples(folder / "samples.jsonl"), 1,
                            summary.suites[0].prompt_set_hash)
    write_json_atomic(folder / "summary.json", summary.model_copy(update=dict(
        suites=[suite], samples_done=samples, samples_planned=samples, errors=0)))
    (folder / "plan.json").unlink()
