"""Helpers the tests share, and the benchmarks reuse (`python -m benchmarks.NAME` from the top of the
checkout imports them as `tests.support`): a stand-in for the Hugging Face Hub, a misbehaving
OpenAI-compatible server, mock runs, a paired-outcome simulator, a headless browser, tiny GGUF files,
and process watchers for the sandbox tests."""
