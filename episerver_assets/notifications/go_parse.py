"""Go `text/template` parsing: the lexer's tokens become a tree of text, actions and `if`s.

The tree holds only what `go_jinja.py` can translate: `{{ pipeline }}`, `{{ if }}` with `{{ else }}`
and `{{ else if }}`, pipelines of commands joined by `|`, fields (`.a.b`), `.`, literals and the
functions of `go_functions.py`. Go's other actions are refused with their position.
"""

from __future__ import annotations

from dataclasses import dataclass

from .go_functions import ARITY
from .go_lexer import Lexer, TemplateSyntaxError, Token

_UNSUPPORTED = {"range", "with", "define", "template", "block", "break", "continue"}
_LITERALS = {"true": True, "false": False, "nil": None}


@dataclass(frozen=True)
class Field:
    names: tuple[str, ...]  # empty: `.` itself
    offset: int


@dataclass(frozen=True)
class Literal:
    value: object


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple  # operands; a pipeline's previous value is appended as the last argument
    offset: int


@dataclass(frozen=True)
class Pipeline:
    first: object  # an operand or a Call
    then: tuple[Call, ...]  # `| fn args...` stages


@dataclass(frozen=True)
class Action:
    pipeline: Pipeline


@dataclass(frozen=True)
class If:
    condition: Pipeline
    then: tuple
    otherwise: tuple


class Parser:
    """`parse()` returns the template's nodes (str for text, Action, If); TemplateSyntaxError if invalid."""

    def __init__(self, source: str):
        self.tokens = Lexer(source).tokens()
        self.index = 0

    def parse(self) -> tuple:
        nodes, end = self._list()
        if end is not None:
            raise TemplateSyntaxError(f"unexpected {{{{{end.value}}}}}", end.start)
        return nodes

    def _peek(self) -> Token:
        return self.tokens[self.index]

    def _next(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _expect_close(self, context: str) -> None:
        token = self._next()
        if token.kind != "close":
            raise TemplateSyntaxError(f"unexpected {_describe(token)} in {context}", token.start)

    def _list(self) -> tuple[tuple, Token | None]:
        """Nodes up to `{{ end }}` / `{{ else }}` (returned as the second item) or the end of the text."""
        nodes: list = []
        while (token := self._next()).kind != "eof":
            if token.kind == "text":
                nodes.append(token.value)
                continue
            word = self._peek()
            if word.kind == "identifier" and word.value in ("end", "else"):
                self.index += 1
                return tuple(nodes), Token(word.kind, word.value, token.start, word.end)
            if word.kind == "identifier" and word.value == "if":
                self.index += 1
                nodes.append(self._if(token))
            elif word.kind == "identifier" and word.value in _UNSUPPORTED:
                raise TemplateSyntaxError(f"{{{{{word.value}}}}} is not supported in notification templates",
                                          word.start)
            else:
                nodes.append(Action(self._pipeline("command", "close")))
                self._expect_close("command")
        return tuple(nodes), None

    def _if(self, opening: Token) -> If:
        condition = self._pipeline("if", "close")
        self._expect_close("if")
        then, end = self._list()
        if end is None:
            raise TemplateSyntaxError("unexpected EOF: {{if}} has no {{end}}", opening.start)
        otherwise: tuple = ()
        if end.value == "else":
            if self._peek().kind == "identifier" and self._peek().value == "if":
                self.index += 1
                otherwise = (self._if(end),)  # {{else if}} shares the outer {{end}}
                return If(condition, then, otherwise)
            self._expect_close("else")
            otherwise, end = self._list()
            if end is None or end.value != "end":
                raise TemplateSyntaxError("expected {{end}} after {{else}}", (end or opening).start)
        self._expect_close("end")
        return If(condition, then, otherwise)

    def _pipeline(self, context: str, closing: str) -> Pipeline:
        stages = [self._command(context, closing)]
        while self._peek().kind == "pipe":
            self.index += 1
            stage = self._command(context, closing)
            if not isinstance(stage, Call):
                raise TemplateSyntaxError(f"non executable command in pipeline stage {len(stages) + 1}",
                                          self.tokens[self.index - 1].start)
            stages.append(stage)
        first, then = stages[0], tuple(stages[1:])
        for stage in then:
            _check_arity(stage, piped=True)
        if isinstance(first, Call):
            _check_arity(first, piped=False)
        return Pipeline(first, then)

    def _command(self, context: str, closing: str) -> object:
        start = self._peek()
        operands = []
        while self._peek().kind not in ("pipe", closing, "eof"):
            operands.append(self._operand())
        if not operands:
            raise TemplateSyntaxError(f"missing value for {context}", start.start)
        head = operands[0]
        for operand in operands[1:]:
            if isinstance(operand, Call):  # a function named as an argument is called without arguments
                _check_arity(operand, piped=False)
        if isinstance(head, Call):
            return Call(head.name, tuple(operands[1:]), head.offset)
        if len(operands) > 1:
            raise TemplateSyntaxError(f"can't give argument to non-function {_source_of(head)}", start.start)
        if isinstance(head, Literal) and head.value is None:
            raise TemplateSyntaxError("nil is not a command", start.start)
        return head

    def _operand(self):
        token = self._next()
        if token.kind == "field":
            names = [token.value]
            while self._peek().kind == "field" and self._peek().start == self.tokens[self.index - 1].end:
                names.append(self._next().value)
            return Field(tuple(names), token.start)
        if token.kind == "dot":
            return Field((), token.start)
        if token.kind in ("string", "number"):
            return Literal(token.value)
        if token.kind == "identifier":
            return self._identifier(token)
        if token.kind == "lparen":
            inner = self._pipeline("parenthesized pipeline", "rparen")
            if self._next().kind != "rparen":
                raise TemplateSyntaxError("unclosed left paren", token.start)
            return inner
        raise TemplateSyntaxError(f"unexpected {_describe(token)} in operand", token.start)

    def _identifier(self, token: Token):
        if token.value in _LITERALS:
            return Literal(_LITERALS[token.value])
        if token.value not in ARITY:
            raise TemplateSyntaxError(f'function "{token.value}" not defined', token.start)
        return Call(token.value, (), token.start)


def _check_arity(call: Call, piped: bool) -> None:
    count = len(call.args) + (1 if piped else 0)
    least, most = ARITY[call.name]
    if count < least or (most is not None and count > most):
        wanted = f"{least}" if least == most else f"at least {least}" if most is None else f"{least} to {most}"
        raise TemplateSyntaxError(f"wrong number of args for {call.name}: want {wanted} got {count}", call.offset)


def _describe(token: Token) -> str:
    return {"close": "}}", "eof": "EOF", "rparen": ")", "pipe": "|"}.get(token.kind) or f"<{token.value}>"


def _source_of(operand) -> str:
    if isinstance(operand, Field):
        return "." + ".".join(operand.names)
    return repr(operand.value) if isinstance(operand, Literal) else "(...)"
