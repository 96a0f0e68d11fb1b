"""The in-process backends: --chat-template in place of the GGUF's, and what they say about the GPU."""

from __future__ import annotations

import pytest

from orbench.backends import GenerationRequest, consume, create_backend
from orbench.backends.llamacpp import offloaded_layers

TEMPLATE = "{% for m in messages %}Question: {{ m.content }}\n{% endfor %}Answer:"


@pytest.mark.e2e
@pytest.mark.parametrize("parallel", [1, 2])
def test_a_chat_template_replaces_the_ggufs_own(embedded_model, parallel):
    request = GenerationRequest(id="r", item_id="i", sample=0, max_tokens=4, temperature=0.0, top_p=1.0, top_k=40,
                                min_p=0.0, repeat_penalty=1.0, seed=1,
                                messages=[{"role": "user", "content": "Name a colour."}])
    sizes = {}
    for template in (None, TEMPLATE):
        backend = create_backend("llama.cpp", model_path=embedded_model, n_ctx=512, n_threads=2, parallel=parallel,
                                 chat_template=template)
        try:
            model = backend.model  # type: ignore[attr-defined]
            tokens, _ = model.chat_prompt(model.chat_formatter(), request.messages)
            text = model.detokenize(tokens).decode()
            completion = consume(backend, [request])[0]
            source = backend.info().chat_template
        finally:
            backend.close()
        assert completion.finish_reason != "error" and completion.prompt_tokens == len(tokens)
        sizes[template] = len(tokens)
        if template is None:
            assert source == "gguf" and "assistant named SmolLM" in text  # the GGUF template's system turn
        else:
            assert source.startswith("--chat-template (sha256 ")
            assert text == "Question: Name a colour.\nAnswer:"
    assert sizes[None] != sizes[TEMPLATE]


def test_offloaded_layers_count_as_llama_cpp_does():
    assert offloaded_layers(-1, 31, True) == 31 and offloaded_layers(99, 31, True) == 31
    assert offloaded_layers(10, 31, True) == 10 and offloaded_layers(-1, 31, False) == 0


@pytest.mark.e2e
def test_a_cpu_build_reports_no_gpu_even_when_offload_is_asked(embedded_model):
    backend = create_backend("llama.cpp", model_path=embedded_model, n_ctx=256, n_threads=2, n_gpu_layers=-1,
                             parallel=1)
    try:
        info = backend.info()
    finally:
        backend.close()
    assert info.gpu_offload_supported is False and info.gpu_offload_active is False
    assert info.gpu_devices == [] and info.offloaded_layers == 0 and info.offloadable_layers == 31  # 30 blocks + output
