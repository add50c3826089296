"""Jsonnet payload templates, as the seed writes them: `local event = (import "lytemplates.libsonnet");`.

The library gives `event.get(field, default)` over the enrichment's chosen profile fields; asking for
a field that was not chosen is an error, so a template and its field list cannot drift apart.

The Jsonnet binding parses its standard library on every evaluation (about 70 ms), so rendering one
profile per evaluation would cap an enrichment at ~14 profiles a second. `render_batch` evaluates a
whole batch in one go instead: the template becomes the body of a function of the profile, its
`import "lytemplates.libsonnet"` replaced by the library applied to that profile.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import _jsonnet

LIBRARY_NAME = "lytemplates.libsonnet"
LIBRARY = """function(profile, fields) {
  get(field, default=null)::
    if !std.member(fields, field) then
      error "event.get: " + std.escapeStringJson(field) + " is not among the enrichment's fields " + std.toString(fields)
    else if std.objectHas(profile, field) && profile[field] != null then profile[field]
    else default,
}"""
_IMPORT = re.compile(r"""import\s*(["'])lytemplates\.libsonnet\1""")


class TemplateError(ValueError):
    """Jsonnet refused the template (syntax or evaluation); the message is Jsonnet's, naming the template."""


def _first_lines(message: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in message.strip().splitlines()[:lines])


def _evaluate(name: str, snippet: str, **ext_codes: str) -> str:
    def only_the_library(_base: str, rel: str) -> tuple[str, bytes]:
        if rel == LIBRARY_NAME:
            return rel, b"(" + LIBRARY.encode() + b")(std.extVar('profile'), std.extVar('fields'))"
        raise RuntimeError(f"only {LIBRARY_NAME} can be imported, not {rel}")

    try:
        return _jsonnet.evaluate_snippet(name, snippet, import_callback=only_the_library, ext_codes=ext_codes)
    except RuntimeError as error:
        raise TemplateError(f"template {name}: {_first_lines(str(error))}") from None


def check_template(name: str, template: str, fields: Sequence[str]) -> None:
    """Evaluate once for a profile whose fields are all empty: a syntax error, an unknown field or a
    payload that is not a JSON object fails here, at definition load (TemplateError)."""
    payload = json.loads(_evaluate(name, template, profile="{}", fields=json.dumps(list(fields))))
    if not isinstance(payload, dict):
        raise TemplateError(f"template {name}: must render a JSON object, rendered {type(payload).__name__}")


def render_batch(name: str, template: str, fields: Sequence[str], profiles: Sequence[dict[str, Any]]
                 ) -> list[dict[str, Any] | TemplateError]:
    """One payload per profile, in order; a profile the template fails for gets its TemplateError."""
    body = _IMPORT.sub("__lytemplates(__profile, __fields)", template)
    library = LIBRARY.replace("\n", " ")  # kept on the first line: the template's lines keep their numbers
    snippet = (f"local __lytemplates = {library}; local __fields = std.extVar('fields'); "
               f"[(function(__profile) ({body}\n))(p) for p in std.extVar('profiles')]")
    codes = {"fields": json.dumps(list(fields))}
    try:
        return json.loads(_evaluate(name, snippet, profiles=json.dumps(list(profiles), default=str), **codes))
    except TemplateError:  # find the profiles it fails for, one evaluation each
        return [_single(name, template, profile, codes["fields"]) for profile in profiles]


def _single(name: str, template: str, profile: dict[str, Any], fields: str) -> dict[str, Any] | TemplateError:
    try:
        return json.loads(_evaluate(name, template, profile=json.dumps(profile, default=str), fields=fields))
    except TemplateError as error:
        return error
