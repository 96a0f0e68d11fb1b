"""--chat-template: a Jinja template in place of the GGUF's, in both in-process backends (real model)."""

from __future__ import annotations

import pytest

from orbench.backends import GenerationRequest, consume, create_backend

pytestmark = pytest.mark.e2e
TEMPLATE = "{% for m in messages %}Question: {{ m.content }}\n{% endfor %}Answer:"


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
