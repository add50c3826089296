"""Translate a parsed Go template into the source of a Jinja2 template.

The output uses no Jinja feature a template author could reach: text becomes string literals,
every field, function and condition becomes a call of one of four globals (`go_field`, `go_call`,
`go_text`, `go_truth`, see `go_functions.py`) over the data variable `go_data`. Positions travel
as "line L, column C" strings so that execution errors name them too.
"""

from __future__ import annotations

from .go_parse import Action, Call, Field, If, Literal, Pipeline


def jinja_string(value: str) -> str:
    """A Jinja string literal of `value` (Jinja unescapes literals with Python's unicode-escape)."""
    escaped = []
    for char in value:
        if char in '\\"':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\x{ord(char):02x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


class Translator:
    def __init__(self, source: str):
        self.line_starts = [0] + [i + 1 for i, char in enumerate(source) if char == "\n"]

    def where(self, offset: int) -> str:
        """"line L, column C" (both from 1) of an offset into the source."""
        line = sum(1 for start in self.line_starts if start <= offset)
        return f"line {line}, column {offset - self.line_starts[line - 1] + 1}"

    def nodes(self, nodes: tuple) -> str:
        return "".join(self.node(node) for node in nodes)

    def node(self, node: object) -> str:
        if isinstance(node, str):
            return "{{ " + jinja_string(node) + " }}"
        if isinstance(node, Action):
            return "{{ go_text(" + self.pipeline(node.pipeline) + ") }}"
        assert isinstance(node, If)
        otherwise = "{% else %}" + self.nodes(node.otherwise) if node.otherwise else ""
        return ("{% if go_truth(" + self.pipeline(node.condition) + ") %}" + self.nodes(node.then)
                + otherwise + "{% endif %}")

    def pipeline(self, pipeline: Pipeline) -> str:
        value = self.operand(pipeline.first)
        for stage in pipeline.then:
            value = self.call(stage, piped=value)
        return value

    def call(self, call: Call, piped: str | None = None) -> str:
        args = [jinja_string(call.name), jinja_string(self.where(call.offset))]
        args += [self.operand(arg) for arg in call.args] + ([piped] if piped is not None else [])
        return "go_call(" + ", ".join(args) + ")"

    def operand(self, operand: object) -> str:
        if isinstance(operand, Field):
            value = "go_data"
            for name in operand.names:
                value = f"go_field({value}, {jinja_string(name)}, {jinja_string(self.where(operand.offset))})"
            return value
        if isinstance(operand, Literal):
            return _literal(operand.value)
        if isinstance(operand, Call):
            return self.call(operand)
        assert isinstance(operand, Pipeline)
        return "(" + self.pipeline(operand) + ")"


def _literal(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return jinja_string(value)
    return repr(value)
