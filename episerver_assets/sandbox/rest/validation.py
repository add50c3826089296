"""Check a request against its operation's declared parameters and body, as Campaign does.

One interpreter for the subset of JSON Schema the vendor document uses for parameters and bodies:
integers with their int32/int64 bounds and minimum/maximum, booleans (`true`/`false` only),
strings with enums (an empty value is not in any enum), string arrays (repeated or
comma-separated), objects with typed properties. A violation answers 400 with Campaign's error body,
naming the parameter. The typed values are kept on the request for the handler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from .operations import Operation, Parameter
from .wire import ApiError, invalid_parameter

_BITS = {"int32": 32, "int64": 64}
_INTEGER = re.compile(r"-?[0-9]+")
_FORM = "application/x-www-form-urlencoded"


async def validate(request: Request, operation: Operation) -> None:
    """Store the typed values of every declared parameter in `request.state.params`; 400 when one is wrong."""
    form = await request.form() if _takes_form(request, operation) else FormData()
    sources: dict[str, Mapping[str, Any]] = {"path": request.path_params, "query": request.query_params, "form": form}
    request.state.params = {p.name: read(sources[p.location], p) for p in operation.parameters}
    if operation.json_body is not None:
        request.state.json = await json_body(request)
        check_json("body", request.state.json, operation.json_body)


def _takes_form(request: Request, operation: Operation) -> bool:
    declares_form = any(p.location == "form" for p in operation.parameters)
    return declares_form and request.headers.get("content-type", "").startswith(_FORM)


def param(request: Request, parameter: Parameter) -> Any:
    """The typed value of a parameter: the validated one, or read now if the operation does not declare it."""
    values = getattr(request.state, "params", {})
    if parameter.name in values:
        return values[parameter.name]
    return read(request.query_params, parameter)


def read(source: Mapping[str, Any], parameter: Parameter) -> Any:
    """The typed value of one parameter from the path, query or form (None or the default when absent)."""
    name, schema = parameter.name, parameter.schema
    if name not in source:
        if parameter.required:
            raise invalid_parameter(name, "is required")
        return schema.get("default")
    if schema["type"] == "array":
        raw = source.getlist(name) if hasattr(source, "getlist") else [source[name]]
        items = [item for value in raw for item in str(value).split(",")]
        return [_scalar(name, item.strip(), schema["items"]) for item in items if item.strip()]
    return _scalar(name, str(source[name]), schema)


def _scalar(name: str, text: str, schema: dict[str, Any]) -> Any:
    kind = schema["type"]
    if kind == "integer":
        if not _INTEGER.fullmatch(text):
            raise invalid_parameter(name, f"{text!r} is not an integer")
        return _check_integer(name, int(text), schema)
    if kind == "boolean":
        if text not in ("true", "false"):
            raise invalid_parameter(name, f"{text!r} is not true or false")
        return text == "true"
    return _check_string(name, text, schema)


def _check_integer(name: str, value: int, schema: dict[str, Any]) -> int:
    bits = _BITS[schema.get("format", "int64")]
    low = max(-(2 ** (bits - 1)), schema.get("minimum", -(2**63)))
    high = min(2 ** (bits - 1) - 1, schema.get("maximum", 2**63 - 1))
    if not low <= value <= high:
        raise invalid_parameter(name, f"{value} is not in {low}..{high}")
    return value


def _check_string(name: str, value: str, schema: dict[str, Any]) -> str:
    if "enum" in schema and value not in schema["enum"]:
        raise invalid_parameter(name, f"{value!r} is not one of {', '.join(schema['enum'])}")
    return value


def check_json(name: str, value: Any, schema: dict[str, Any]) -> None:
    """A JSON value against an object/array/scalar schema; `additionalProperties` are accepted as any value."""
    kind = schema.get("type")
    if kind is None:
        return
    if kind == "object":
        if not isinstance(value, dict):
            raise invalid_parameter(name, "must be an object")
        for key, property_schema in schema.get("properties", {}).items():
            if key in value:
                check_json(f"{name}.{key}", value[key], property_schema)
    elif kind == "array":
        if not isinstance(value, list):
            raise invalid_parameter(name, "must be an array")
        for index, item in enumerate(value):
            check_json(f"{name}[{index}]", item, schema["items"])
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid_parameter(name, "must be an integer")
        _check_integer(name, value, schema)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise invalid_parameter(name, "must be true or false")
    elif kind == "string":
        if not isinstance(value, str):
            raise invalid_parameter(name, "must be a string")
        _check_string(name, value, schema)
    else:
        raise TypeError(f"the sandbox cannot check schema type {kind!r}")


async def json_body(request: Request) -> Any:
    """The parsed JSON body; an empty body is an empty object (the vendor's bodies are all optional)."""
    try:
        return json.loads(await request.body() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiError(400, f"The request body is not valid JSON: {error}") from None
