"""The filter DSL of the list and search routes, compiled to SQL conditions.

A filter is a JSON object: every key is a condition and all are ANDed; `AND`/`OR`/`NOT` take lists
of sub-filters. Values are checked against the column's kind before they reach SQL, so a
malformed filter is a 422 naming the problem, never a database error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Text,
    and_,
    case,
    cast,
    literal,
    not_,
    or_,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from src.errors import ValidationError

OPERATORS = frozenset({"gte", "lte", "gt", "lt", "ne", "in", "contains", "icontains"})
LOGICAL = ("AND", "OR", "NOT")
_MAX_DEPTH = 32
# Text that PostgreSQL can always cast to numeric (bounded exponent: no overflow errors).
_NUMERIC_TEXT = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$"


class FilterError(ValidationError):
    pass


class Kind(Enum):
    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    DATETIME = "datetime"
    JSON = "json"


@dataclass(frozen=True)
class FilterColumn:
    expr: ColumnElement[Any]
    kind: Kind


@dataclass(frozen=True)
class FilterSpec:
    model: str
    columns: Mapping[str, FilterColumn]


def compile_filters(filters: Mapping[str, Any] | None, spec: FilterSpec) -> ColumnElement[bool]:
    if not filters:
        return true()
    return _compile_object(filters, spec, 0)


def _compile_object(obj: Any, spec: FilterSpec, depth: int) -> ColumnElement[bool]:
    if depth > _MAX_DEPTH:
        raise FilterError(f"filters are nested deeper than {_MAX_DEPTH} levels")
    if not isinstance(obj, Mapping):
        raise FilterError(f"a filter must be an object, got {type(obj).__name__}")
    conditions: list[ColumnElement[bool]] = []
    for key, value in obj.items():
        if key in LOGICAL:
            if not isinstance(value, list):
                raise FilterError(f"{key} operator must contain a list, got {type(value).__name__}")
            parts = [_compile_object(sub, spec, depth + 1) for sub in value if sub]
            if not parts:
                continue
            if key == "AND":
                conditions.append(and_(*parts))
            elif key == "OR":
                conditions.append(or_(*parts))
            else:
                conditions.append(and_(*[not_(p) for p in parts]))
            continue
        column = spec.columns.get(key)
        if column is None:
            raise FilterError(
                f"Column '{key}' is not allowed to be filtered on or does not exist on {spec.model}"
            )
        cond = _compile_field(key, column, value)
        if cond is not None:
            conditions.append(cond)
    if not conditions:
        return true()
    return and_(*conditions) if len(conditions) > 1 else conditions[0]


def _has_operator(value: Any) -> bool:
    return isinstance(value, Mapping) and any(k in OPERATORS for k in value)


def _compile_field(name: str, column: FilterColumn, value: Any) -> ColumnElement[bool] | None:
    if value == "*":
        return None
    if column.kind is Kind.JSON:
        return _compile_json(name, column.expr, value)
    if isinstance(value, Mapping):
        if not _has_operator(value):
            raise FilterError(f"filter on '{name}' expects a value or an operator object")
        return _compile_operators(name, column, value)
    return _equals(name, column, value)


def _equals(name: str, column: FilterColumn, value: Any) -> ColumnElement[bool]:
    if value is None:
        return column.expr.is_(None)
    return column.expr.op("=", is_comparison=True)(_coerce(name, column.kind, value))


def _compile_operators(
    name: str, column: FilterColumn, ops: Mapping[str, Any]
) -> ColumnElement[bool] | None:
    conditions: list[ColumnElement[bool]] = []
    for op, operand in ops.items():
        if op not in OPERATORS:
            raise FilterError(f"unknown operator '{op}' in filter on '{name}'")
        if operand == "*":
            continue
        expr = column.expr
        if op in ("contains", "icontains"):
            if not isinstance(operand, str | int | float) or isinstance(operand, bool):
                raise FilterError(f"'{op}' on '{name}' expects a string")
            conditions.append(expr.cast(Text()).ilike(_like(str(operand)), escape="\\"))
        elif op == "in":
            items = _in_list(name, operand)
            if items is None:
                continue
            conditions.append(expr.in_([_coerce(name, column.kind, v) for v in items]))
        else:
            coerced = _coerce_comparable(name, column.kind, operand)
            conditions.append(_compare(expr, op, coerced))
    if not conditions:
        return None
    return and_(*conditions)


_SQL_COMPARISON = {"gte": ">=", "lte": "<=", "gt": ">", "lt": "<"}


def _compare(expr: ColumnElement[Any], op: str, operand: Any) -> ColumnElement[bool]:
    if op == "ne":
        return expr.is_distinct_from(operand)  # a NULL column is "not equal" to a value
    return expr.op(_SQL_COMPARISON[op], is_comparison=True)(operand)


def _in_list(name: str, operand: Any) -> list[Any] | None:
    if not isinstance(operand, list):
        raise FilterError(f"'in' on '{name}' expects a list, got {type(operand).__name__}")
    if "*" in operand:
        return None
    return operand


def _compile_json(name: str, expr: ColumnElement[Any], value: Any) -> ColumnElement[bool] | None:
    if isinstance(value, Mapping) and _has_operator(value):
        # Operators on the whole column: only containment makes sense for a JSON document.
        conditions: list[ColumnElement[bool]] = []
        for op, operand in value.items():
            if op != "contains":
                raise FilterError(
                    f"operator '{op}' cannot apply to the whole '{name}' object; "
                    f'filter a key instead, e.g. {{"{name}": {{"key": {{"{op}": ...}}}}}}'
                )
            if operand != "*":
                conditions.append(expr.op("@>")(cast(literal(operand, JSONB), JSONB)))
        return and_(*conditions) if conditions else None
    if not isinstance(value, Mapping):
        return expr.op("@>")(cast(literal(value, JSONB), JSONB))
    conditions = []
    for key, condition in value.items():
        if condition == "*":
            continue
        if isinstance(condition, Mapping) and _has_operator(condition):
            conditions.extend(_json_key_operators(name, expr, key, condition))
        else:
            conditions.append(expr.op("@>")(cast(literal({key: condition}, JSONB), JSONB)))
    return and_(*conditions) if conditions else None


def _json_key_operators(
    name: str, expr: ColumnElement[Any], key: str, ops: Mapping[str, Any]
) -> list[ColumnElement[bool]]:
    text_value = expr.op("->>")(literal(key))
    where = f"{name}.{key}"
    conditions: list[ColumnElement[bool]] = []
    for op, operand in ops.items():
        if op not in OPERATORS:
            raise FilterError(f"unknown operator '{op}' in filter on '{where}'")
        if operand == "*":
            continue
        if op in ("contains", "icontains"):
            if isinstance(operand, Mapping | list):
                raise FilterError(f"'{op}' on '{where}' expects a string")
            conditions.append(text_value.ilike(_like(_json_text(operand)), escape="\\"))
        elif op == "in":
            items = _in_list(where, operand)
            if items is not None:
                conditions.append(text_value.in_([_json_text(v) for v in items]))
        elif isinstance(operand, bool):
            conditions.append(_compare(text_value, op, "true" if operand else "false"))
        elif _is_number(operand):
            numeric = case(
                (text_value.op("~")(literal(_NUMERIC_TEXT)), cast(text_value, Numeric)),
                else_=None,
            )
            conditions.append(_compare(numeric, op, float(operand)))
        elif isinstance(operand, str):
            conditions.append(_compare(text_value, op, operand))
        elif operand is None and op == "ne":
            conditions.append(text_value.is_not(None))
        else:
            raise FilterError(f"'{op}' on '{where}' expects a number, string or boolean")
    return conditions


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        return re.fullmatch(_NUMERIC_TEXT, value) is not None
    return False


def _json_text(value: Any) -> str:
    """The text `->>` yields for a JSON scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _coerce(name: str, kind: Kind, value: Any) -> Any:
    if isinstance(value, Mapping | list):
        raise FilterError(f"filter on '{name}' expects a single value, got {type(value).__name__}")
    if kind is Kind.TEXT:
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value)
        if "\x00" in text:
            raise FilterError(f"filter on '{name}' contains a NUL character")
        return text
    if kind is Kind.NUMBER:
        return _number(name, value)
    if kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise FilterError(f"Invalid boolean value for '{name}': {value!r}")
    if kind is Kind.DATETIME:
        return parse_datetime(name, value)
    raise FilterError(f"unsupported filter on '{name}'")


def _coerce_comparable(name: str, kind: Kind, value: Any) -> Any:
    if kind is Kind.BOOL:
        raise FilterError(f"'{name}' is a boolean and cannot be compared with an order operator")
    return _coerce(name, kind, value)


def _number(name: str, value: Any) -> float | int:
    if isinstance(value, bool):
        raise FilterError(f"Invalid numeric value for '{name}': {value!r}")
    if isinstance(value, int):
        if abs(value) > 2**63 - 1:
            raise FilterError(f"Invalid numeric value for '{name}': out of range")
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, str) and re.fullmatch(_NUMERIC_TEXT, value):
        return float(value)
    raise FilterError(f"Invalid numeric value for '{name}': {value!r}")


def parse_datetime(name: str, value: Any) -> datetime:
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise FilterError(f"Invalid datetime value for '{name}': {value!r}")
