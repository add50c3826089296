"""Go's template value rules in Python: truth, printing, fields, comparison, and the callable functions.

Checked against Go 1.19's `text/template` (plus Sprig's `default`, which the seed uses):
- truth: false, 0, 0.0, nil and empty strings, lists and maps are false; everything else is true;
- printing follows `fmt`'s `%v`: `true`, `3`, `2.5`, `1e+06`, `[a 1]`, `map[a:1 b:2]`;
- `and`/`or` return an argument, not a bool (`{{ or .nickname .first_name }}`);
- `eq`/`lt`/... compare values of one basic kind; mixing kinds (an int with a string, an int with
  a float) is Go's "incompatible types for comparison" error.
- A missing field (or one whose value is None) behaves as Go's missing key of a
  `map[string]interface{}`: false, replaced by `default`, unequal to any value (`eq` is false, not an
  error), an error for `lt`/`len`; a field of it is missing too. Go prints it as `<no value>`;
  notifications print nothing, as the issue asks ("no error, empty") and as Go does for a map of
  strings with `missingkey=zero`.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping

class TemplateExecError(ValueError):
    """A template that parsed but cannot render these fields (Go's execution errors)."""


def truth(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return value != 0
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        return len(value) > 0
    return True


def go_type(value: object) -> str:
    if value is None:
        return "nil (a missing field)"
    for python_type, name in ((bool, "bool"), (int, "int"), (float, "float64"), (str, "string"),
                              (Mapping, "map[string]interface {}"), ((list, tuple), "[]interface {}")):
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def _float_text(value: float) -> str:
    """`%v` of a float64: the shortest digits, in exponent form when the exponent is below -4 or above 5."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    number = decimal.Decimal(repr(value)).normalize()
    sign, digits, exponent = number.as_tuple()
    magnitude = len(digits) - 1 + exponent
    if magnitude < -4 or magnitude >= 6:
        mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        return f"{'-' if sign else ''}{mantissa}e{'-' if magnitude < 0 else '+'}{abs(magnitude):02d}"
    return format(number, "f")


def text(value: object, nested: bool = False) -> str:
    """What `{{ value }}` prints; a missing value (None) prints nothing at the top and `<nil>` inside a list."""
    if value is None:
        return "<nil>" if nested else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Mapping):
        pairs = sorted((text(k, True), text(v, True)) for k, v in value.items())
        return "map[" + " ".join(f"{k}:{v}" for k, v in pairs) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(text(item, True) for item in value) + "]"
    return str(value)


def field(value: object, name: str, where: str) -> object:
    """`value.name`: a mapping's entry; None when the mapping lacks it or `value` is itself missing."""
    if isinstance(value, Mapping):
        return value.get(name)
    if value is None:
        return None
    raise TemplateExecError(f"{where}: can't evaluate field {name} in type {go_type(value)}")


def _kind(value: object) -> str | None:
    for python_type, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "string")):
        if isinstance(value, python_type):
            return kind
    return "nil" if value is None else None


def _eq(first: object, *others: object) -> bool:
    kind = _kind(first)
    for other in others:
        other_kind = _kind(other)
        if kind is None or other_kind is None:
            raise TemplateExecError("non-comparable type")
        if "nil" in (kind, other_kind):
            if kind == other_kind:
                return True
            continue
        if kind != other_kind:
            raise TemplateExecError("incompatible types for comparison")
        if first == other:
            return True
    return False


def _lt(first: object, second: object) -> bool:
    kinds = (_kind(first), _kind(second))
    if any(kind not in ("int", "float", "string") for kind in kinds):
        raise TemplateExecError("invalid type for comparison")
    if kinds[0] != kinds[1]:
        raise TemplateExecError("incompatible types for comparison")
    return first < second  # type: ignore[operator]


def _and(*values: object) -> object:
    return next((value for value in values if not truth(value)), values[-1])


def _or(*values: object) -> object:
    return next((value for value in values if truth(value)), values[-1])


def _len(value: object) -> int:
    if isinstance(value, str):
        return len(value.encode())  # Go counts a string's bytes
    if isinstance(value, (list, tuple, Mapping)):
        return len(value)
    raise TemplateExecError(f"len of type {go_type(value)}")


def _default(fallback: object, *given: object) -> object:
    """Sprig's `default`: the piped value unless it is empty (`{{ .x | default "none" }}`)."""
    return given[0] if given and truth(given[0]) else fallback


# name -> (implementation, least arguments, most arguments or None)
FUNCTIONS: dict[str, tuple[Callable[..., object], int, int | None]] = {
    "and": (_and, 1, None),
    "or": (_or, 1, None),
    "not": (lambda value: not truth(value), 1, 1),
    "eq": (_eq, 2, None),
    "ne": (lambda a, b: not _eq(a, b), 2, 2),
    "lt": (_lt, 2, 2),
    "le": (lambda a, b: _lt(a, b) or _eq(a, b), 2, 2),
    "gt": (lambda a, b: not (_lt(a, b) or _eq(a, b)), 2, 2),
    "ge": (lambda a, b: not _lt(a, b), 2, 2),
    "len": (_len, 1, 1),
    "default": (_default, 1, 2),
}
ARITY = {name: (least, most) for name, (_, least, most) in FUNCTIONS.items()}


def call(name: str, where: str, *args: object) -> object:
    try:
        return FUNCTIONS[name][0](*args)
    except TemplateExecError as error:
        raise TemplateExecError(f"{where}: error calling {name}: {error}") from None
