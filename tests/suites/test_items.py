"""Loading prompt files: errors name the file and line."""

from __future__ import annotations

import json

import pytest

from orbench.errors import OrbenchError
from orbench.suites import parse_suites, prompt_set_hash, select
from orbench.suites.items import Item, load_items

GOOD = {"id": "m1", "suite": "math", "category": "arithmetic", "difficulty": "easy", "prompt": "1+1?",
        "answer": "2", "source": "original"}


def write(folder, lines):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_malformed_json_names_file_and_line(tmp_path):
    write(tmp_path / "math", [json.dumps(GOOD), "", '{"id": "m2", oops}'])
    with pytest.raises(OrbenchError, match=r"items.jsonl:3: malformed JSON"):
        load_items(tmp_path / "math", "math")


def test_invalid_item_names_the_field(tmp_path):
    write(tmp_path / "math", [json.dumps({**GOOD, "difficulty": "trivial"})])
    with pytest.raises(OrbenchError, match=r"items.jsonl:1: difficulty"):
        load_items(tmp_path / "math", "math")


def test_duplicate_ids_and_wrong_suite(tmp_path):
    write(tmp_path / "math", [json.dumps(GOOD), json.dumps(GOOD)])
    with pytest.raises(OrbenchError, match="duplicate item id 'm1'"):
        load_items(tmp_path / "math", "math")
    write(tmp_path / "code", [json.dumps(GOOD)])
    with pytest.raises(OrbenchError, match="expected 'code'"):
        load_items(tmp_path / "code", "code")


def test_choice_answer_must_be_a_letter_of_the_choices():
    with pytest.raises(ValueError):
        Item(**{**GOOD, "choices": ["x", "y"], "answer": "C"})
    assert Item(**{**GOOD, "choices": ["x", "y"], "answer": "B"}).answer == "B"


def test_select_is_seeded_and_keeps_order():
    items = [Item(**{**GOOD, "id": f"m{i}"}) for i in range(20)]
    a, b, c = select(items, 5, seed=1), select(items, 5, seed=1), select(items, 5, seed=2)
    assert a == b and a != c and len(a) == 5
    assert [i.id for i in a] == sorted((i.id for i in a), key=lambda x: int(x[1:]))
    assert select(items, None, 0) == items


def test_prompt_set_hash_changes_with_content():
    items = [Item(**GOOD)]
    assert prompt_set_hash(items) == prompt_set_hash(list(items))
    assert prompt_set_hash(items) != prompt_set_hash([Item(**{**GOOD, "answer": "3"})])


def test_parse_suites():
    assert [s.name for s in parse_suites("math, code,math")] == ["math", "code"]
    with pytest.raises(OrbenchError, match="unknown suite 'poetry'"):
        parse_suites("math,poetry")
