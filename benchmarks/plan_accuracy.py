"""How close `orbench plan`'s estimate is to the real adaptive ladder, on the embedded model.

For each case: a fresh results folder, `orbench plan ... --json` (which calibrates the reference on
a round's items, as a user's first plan does), then the real `orbench run ... --until-decided` in a
fresh process, timed from its start to its exit; then the same plan again, now from the earlier runs
under the results folder (the calibration and the ladder that just ran), as a user's next plan is.
Prints, per case: the estimate, the real time, their ratio (real / estimate; the issue asks for
0.5-1.5), the items the plan expected each quant to need against those the run took, and the
machine's load per core while it ran (the machine is shared: load moves every figure).

    .venv/bin/python benchmarks/plan_accuracy.py            # all cases, 10-40 minutes on 2 shared cores
    .venv/bin/python benchmarks/plan_accuracy.py --cases 1

The ladder is the embedded smollm2-135m Q4_1 and two quants made from it (Q8_0, Q4_0), in a
temporary ORBENCH_HOME; nothing in the real cache is written.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUANTS = "Q4_1,Q8_0,Q4_0"
CASES = [  # suites, pool per suite, round items, margin (points), max tokens
    ("reasoning", 16, 4, 60, 16),  # the e2e test's ladder
    ("reasoning", 12, 6, 40, 24),
    ("math", 8, 4, 60, 32),
    ("math,reasoning", 8, 4, 50, 24),
]


def orbench(home: Path, *args: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "ORBENCH_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "orbench", *map(str, args)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"orbench {' '.join(map(str, args))} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done


def make_ladder(home: Path) -> None:
    os.environ["ORBENCH_HOME"] = str(home)
    from orbench.store.catalog import load_catalog
    from orbench.store.local import LocalModel, find_local, register_local

    catalog = load_catalog()
    os.environ.pop("ORBENCH_HOME")
    embedded = find_local(catalog.resolve(catalog.embedded_model))  # the real cache: read only
    if embedded is None:
        raise SystemExit("the embedded model is not pulled: orbench pull smollm2-135m")
    os.environ["ORBENCH_HOME"] = str(home)
    register_local(LocalModel(name="smollm2-135m", quant="Q4_1", path=embedded.path, sha256=embedded.sha256,
                              size=embedded.size, source="pypi"))
    os.environ.pop("ORBENCH_HOME")
    orbench(home, "quantize", "smollm2-135m", "--from", "Q4_1", "--to", "Q8_0,Q4_0", "--allow-requantize",
            "--dir", home / "derived", "--json")


def load_per_core() -> float:
    return os.getloadavg()[0] / (os.cpu_count() or 1)


def run_case(home: Path, number: int, case: tuple) -> list[list[str]]:
    suites, limit, round_items, margin, max_tokens = case
    common = ["-m", "smollm2-135m", "--quant", QUANTS, "-s", suites, "--limit", limit, "--round-items", round_items,
              "--margin", margin, "--max-tokens", max_tokens, "--threads", 2]
    results = home / f"results-{number}"
    cold = json.loads(orbench(home, "plan", *common, "--results", results, "--json").stdout)
    load_before = load_per_core()
    started = time.perf_counter()
    out = json.loads(orbench(home, "run", *common, "--until-decided", "-o", results / "ladder", "-q", "--json").stdout)
    real = time.perf_counter() - started
    load = (load_before + load_per_core()) / 2
    warm = json.loads(orbench(home, "plan", *common, "--results", results, "--json").stdout)
    taken = out["adaptive"]["rounds"][-1]["items"]
    name = f"{suites} pool {limit}/suite, round {round_items}, margin {margin}, max {max_tokens} tok"
    rows = []
    for kind, plan in (("calibration", cold), ("earlier runs", warm)):
        expected = sum(s["items_each"] for s in plan["suites"])
        rows.append([name if kind == "calibration" else "", kind, f"{plan['seconds']:.0f}", f"{real:.0f}",
                     f"{real / plan['seconds']:.2f}", f"{expected}", f"{taken}", f"{load:.2f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=len(CASES), help="run the first N cases")
    args = parser.parse_args()
    head = ["case", "speed from", "plan s", "real s", "real/plan", "items plan", "items real", "load/core"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="orbench-plan-") as tmp:
        home = Path(tmp)
        make_ladder(home)
        for number, case in enumerate(CASES[:args.cases], 1):
            rows += run_case(home, number, case)
            print(" | ".join(rows[-2]), flush=True)
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    print()
    for row in [head] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    ratios = [float(r[4]) for r in rows]
    print(f"\nreal/plan from {min(ratios):.2f} to {max(ratios):.2f} over {len(rows)} estimates "
          f"(within +-50%: {sum(0.5 <= x <= 1.5 for x in ratios)} of {len(ratios)})")


if __name__ == "__main__":
    main()
