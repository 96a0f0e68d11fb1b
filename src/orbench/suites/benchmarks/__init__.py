"""Public benchmarks, one small module each, simple-evals style: the module's docstring cites the
dataset and the protocol it follows; it says where the data lives (Hub repo, commit, files and
their sha256), how rows become items, the prompt, and the check. `BENCHMARKS` lists them in the
order `orbench suites` shows them; nothing else needs to change to add one.
"""

from __future__ import annotations

from . import aime, amc23, arc, bbh, evalplus, gpqa, gsm8k, humaneval, livecodebench, math500, mbpp

BENCHMARKS = (
    gsm8k.SUITE, math500.SUITE, aime.AIME24_SUITE, aime.AIME25_SUITE, amc23.SUITE,
    humaneval.SUITE, mbpp.SUITE, evalplus.HUMANEVAL_PLUS_SUITE, evalplus.MBPP_PLUS_SUITE, livecodebench.SUITE,
    gpqa.SUITE, arc.SUITE, bbh.SUITE,
)
