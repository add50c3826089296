"""Notification templates: Go `text/template` syntax, rendered by Jinja2's sandboxed environment.

No maintained Python package renders Go templates (PyPI has a pre-1.0 single release in "planning"
status, a 2019 cgo binding and converters), so `go_parse.py` parses the subset notifications use and
`go_jinja.py` translates it into a Jinja2 template for `SandboxedEnvironment`. Nothing a template
author writes becomes Python or Jinja code: fields are mapping look-ups, functions come from a fixed
table, and the sandbox guards the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from . import go_functions
from .go_jinja import Translator
from .go_lexer import TemplateSyntaxError
from .go_parse import Parser


class TemplateError(ValueError):
    """A template that does not parse, or cannot render its fields; the message names it and where."""

    def __init__(self, message: str, template_name: str):
        super().__init__(message)
        self.template_name = template_name


def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    environment.globals = {"go_field": go_functions.field, "go_call": go_functions.call,
                           "go_text": go_functions.text, "go_truth": go_functions.truth}
    return environment


_ENVIRONMENT = _environment()


@dataclass(frozen=True)
class GoTemplate:
    """One compiled template; `GoTemplate(name, source)` raises TemplateError naming line and column."""

    name: str
    source: str
    jinja_source: str = field(init=False, repr=False)
    _compiled: jinja2.Template = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        translator = Translator(self.source)
        try:
            nodes = Parser(self.source).parse()
        except TemplateSyntaxError as error:
            where = translator.where(error.offset)
            raise TemplateError(f"template {self.name}: {where}: {error}", self.name) from None
        object.__setattr__(self, "jinja_source", translator.nodes(nodes))
        object.__setattr__(self, "_compiled", _ENVIRONMENT.from_string(self.jinja_source))

    def render(self, fields: Mapping[str, object]) -> str:
        try:
            return self._compiled.render(go_data=fields)
        except go_functions.TemplateExecError as error:
            raise TemplateError(f"template {self.name}: {error}", self.name) from None
