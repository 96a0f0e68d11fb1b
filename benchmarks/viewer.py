"""How `orbench view` copes with a large run: a generated run of N samples with long replies (the
same generator as the viewer's scale test), the time to write view.html and its size, then, in
headless Chromium (Playwright's own or a system one), the first screen, opening a sample and the
first full-text search (which inflates every chunk). Prints a table.

    .venv/bin/python -m benchmarks.viewer --samples 10000 --chars 5000 --repeats 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def make_run(folder: Path, samples: int, chars: int) -> int:
    """A mock run's summary and plan, with `samples` generated records in its samples.jsonl."""
    import orbench
    from tests.support.bigrun import write_big_samples

    ref = orbench.load_catalog().resolve("smollm2-135m")
    orbench.run_model(ref, [orbench.get_suite("math")], folder, orbench.RunOptions(backend="mock", limit=1, quiet=True))
    return write_big_samples(folder, samples, chars)


def browse(view: Path, repeats: int) -> dict[str, list[float]]:
    from playwright.sync_api import Error, sync_playwright

    found: dict[str, list[float]] = {"first screen (ms)": [], "open a sample (ms)": [], "first search (ms)": []}
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch()
        except Error:
            path = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
            if path is None:
                raise SystemExit("no Chromium: apt-get install chromium, or python -m playwright install chromium")
            browser = p.chromium.launch(executable_path=path)
        for _ in range(repeats):
            page = browser.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
            page.goto(view.resolve().as_uri())
            page.wait_for_selector("html[data-first-screen-ms]")
            found["first screen (ms)"].append(float(page.evaluate("document.documentElement.dataset.firstScreenMs")))
            started = time.perf_counter()
            page.keyboard.press("j")
            page.wait_for_selector("#detail pre.answer")
            found["open a sample (ms)"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            page.fill("#search", "problem 1234:")
            page.press("#search", "Enter")
            page.wait_for_selector("html[data-search=done]")
            found["first search (ms)"].append((time.perf_counter() - started) * 1000)
            page.close()
        browser.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--chars", type=int, default=5_000, help="characters of reply text per sample")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from orbench.view import write_view

    with tempfile.TemporaryDirectory(prefix="orbench-viewer-bench-") as tmp:
        run = Path(tmp) / "run"
        text = make_run(run, args.samples, args.chars)
        jsonl = (run / "samples.jsonl").stat().st_size
        started = time.perf_counter()
        result = write_view([run])
        written = time.perf_counter() - started
        timings = browse(result.path, args.repeats)
    print(f"{args.samples:,} samples, {text / 1e6:.1f} MB of reply text, samples.jsonl {jsonl / 1e6:.1f} MB")
    rows = [("write view.html (s)", f"{written:.2f}"), ("view.html (MB)", f"{result.bytes / 1e6:.1f}"),
            ("chunks", str(result.chunks))]
    rows += [(name, f"{statistics.median(values):.0f} (median of {len(values)})") for name, values in timings.items()]
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | value |\n| {'-' * width} | --- |")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


if __name__ == "__main__":
    main()
