"""Lenient JSON extraction from model output (no HTTP)."""

from __future__ import annotations

import pydantic
import pytest

from src.llm.structured import ParseFailure, json_candidates, parse_output


class Facts(pydantic.BaseModel):
    facts: list[str]


def test_plain_fenced_and_embedded_json() -> None:
    """Bare JSON, a fenced block, and an object inside prose all parse."""
    assert parse_output('{"facts": ["a"]}', Facts).facts == ["a"]
    assert parse_output('```json\n{"facts": ["b"]}\n```', Facts).facts == ["b"]
    assert parse_output('Here you go: {"facts": ["c"]} -- done', Facts).facts == ["c"]


def test_think_blocks_are_ignored() -> None:
    """<think> reasoning (even with braces in it) is stripped before extraction."""
    text = '<think>maybe {"facts": ["wrong"]}</think>\n{"facts": ["right"]}'
    assert parse_output(text, Facts).facts == ["right"]


def test_first_valid_candidate_wins() -> None:
    """An example object in prose that does not validate is skipped for a later valid one."""
    text = 'Format: {"x": 1}. Answer: {"facts": ["d"]}'
    assert parse_output(text, Facts).facts == ["d"]


def test_bare_list_for_single_field_model() -> None:
    """A bare list is accepted for a model with a single field (small models drop the wrapper)."""
    assert parse_output('["e", "f"]', Facts).facts == ["e", "f"]


def test_failures_say_what_was_wrong() -> None:
    """No JSON, empty reply and wrong shape each give a message naming the problem."""
    with pytest.raises(ParseFailure, match="no JSON object"):
        parse_output("just prose", Facts)
    with pytest.raises(ParseFailure, match="empty"):
        parse_output("  ", Facts)
    with pytest.raises(ParseFailure, match=r"facts: Field required"):
        parse_output('{"fact": []}', Facts)


def test_candidates_do_not_descend_into_decoded_values() -> None:
    """Nested objects of a decoded value are not offered again as separate candidates."""
    assert json_candidates('x {"a": {"b": 1}} y') == [{"a": {"b": 1}}]
