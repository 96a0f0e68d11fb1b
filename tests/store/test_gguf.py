"""GGUF metadata without llama.cpp, and the generation settings a run takes from it."""

from __future__ import annotations

import pytest
from support.gguf_split import tiny_gguf

from orbench.store.catalog import Generation, ModelRef, load_catalog
from orbench.errors import OrbenchError
from orbench.run.evaluate import RunOptions, generation_for
from orbench.store.gguf import read_metadata, sampling_defaults, trained_context

SAMPLING = {"general.architecture": "qwen2", "qwen2.context_length": 2048, "general.sampling.temp": 0.6,
            "general.sampling.top_p": 0.95, "general.sampling.top_k": 20, "general.sampling.min_p": 0.05,
            "tokenizer.chat_template": "{{ messages }}", "general.name": "Tiny"}


@pytest.fixture
def gguf(tmp_path):
    path = tmp_path / "tiny-Q4_K_M.gguf"
    path.write_bytes(tiny_gguf(SAMPLING))
    return path


def test_reads_scalars_and_strings(gguf):
    meta = read_metadata(gguf)
    assert meta["general.name"] == "Tiny" and meta["qwen2.context_length"] == 2048
    assert sampling_defaults(meta) == {"temperature": 0.6, "top_p": 0.95, "top_k": 20, "min_p": 0.05}
    assert trained_context(meta) == 2048


def test_the_embedded_model_header_is_read(embedded_model):
    meta = read_metadata(embedded_model)
    assert meta["general.architecture"] == "llama" and meta["llama.context_length"] == 8192
    assert "{% for message in messages %}" in meta["tokenizer.chat_template"]
    assert sampling_defaults(meta) == {}  # this file carries no sampling keys


@pytest.mark.parametrize("data, message", [(b"NOPE" + b"\0" * 40, "not a GGUF file"),
                                           (tiny_gguf(SAMPLING)[:60], "corrupt GGUF header")])
def test_bad_headers_are_clear_errors(tmp_path, data, message):
    path = tmp_path / "bad.gguf"
    path.write_bytes(data)
    with pytest.raises(OrbenchError, match=message):
        read_metadata(path)


def test_a_hub_or_local_model_takes_the_gguf_settings_and_the_flags_win(gguf):
    ref = ModelRef(name="tiny", path=gguf)
    g = generation_for(ref, RunOptions(), read_metadata(gguf))
    assert (g.temperature, g.top_p, g.top_k, g.min_p) == (0.6, 0.95, 20, 0.05)
    assert g.context == 2048 and g.max_tokens == 1024  # the model's own, smaller context
    g = generation_for(ref, RunOptions(temperature=0.0, top_p=0.5, system_prompt="Be brief.",
                                       chat_template="{{ x }}"), read_metadata(gguf))
    assert (g.temperature, g.top_p, g.top_k, g.system_prompt, g.chat_template) == (0.0, 0.5, 20, "Be brief.", "{{ x }}")


def test_the_catalog_wins_for_catalog_models(gguf):
    ref = load_catalog().resolve("smollm2-135m")
    g = generation_for(ref, RunOptions(), read_metadata(gguf))
    assert (g.temperature, g.top_k, g.context) == (ref.entry.generation.temperature, ref.entry.generation.top_k,
                                                   ref.entry.generation.context)
    entry = ref.entry.model_copy(update=dict(generation=Generation(system_prompt="You are terse.")))
    with_prompt = ModelRef(name=entry.name, quant="Q4_1", entry=entry)
    assert generation_for(with_prompt, RunOptions()).system_prompt == "You are terse."
    assert generation_for(with_prompt, RunOptions(system_prompt="")).system_prompt is None  # '' removes it


def test_chat_template_from_a_file_or_inline(tmp_path, gguf):
    template = tmp_path / "t.jinja"
    template.write_text("{% for m in messages %}{{ m.content }}{% endfor %}")
    ref = ModelRef(name="tiny", path=gguf)
    assert generation_for(ref, RunOptions(chat_template=str(template))).chat_template == template.read_text()
    with pytest.raises(OrbenchError, match="takes a Jinja template or a file"):
        generation_for(ref, RunOptions(chat_template="chatml"))
