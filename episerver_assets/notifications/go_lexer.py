"""Go `text/template` lexing: a template's text becomes text runs and the tokens of its actions.

Only what notification templates need is recognised (fields, functions, string / number / bool
literals, `|`, parentheses, `{{- -}}` trim markers and `{{/* comments */}}`); anything else Go
has (variables, `range`, ...) is refused later with its position. Errors read like Go's own
("unclosed action", "bad character U+201D '”'") plus the line and column Go leaves out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPACE = " \t\r\n"  # Go's trim markers and actions treat exactly these as white space
_NUMBER = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_STRING_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   "\\": "\\", '"': '"'}
_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", re.S)


class TemplateSyntaxError(ValueError):
    """A template that cannot be parsed; `offset` is where in its source the problem is."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Token:
    kind: str  # text, open, close, field, dot, identifier, string, number, pipe, lparen, rparen, eof
    value: object
    start: int
    end: int


def _unquote(body: str, offset: int) -> str:
    def one(match: re.Match) -> str:
        escape = match.group()[1:]
        if escape[0] in "xuU" and int(escape[1:], 16) <= 0x10FFFF:
            return chr(int(escape[1:], 16))
        if escape[0] in "01234567":
            return chr(int(escape, 8))
        if escape in _STRING_ESCAPES:
            return _STRING_ESCAPES[escape]
        raise TemplateSyntaxError(f"invalid syntax in quoted string \\{escape}", offset)
    return _ESCAPE.sub(one, body)


class Lexer:
    """Tokens of one template source, in order; `tokens()` raises TemplateSyntaxError."""

    def __init__(self, source: str):
        self.source = source
        self.position = 0
        self.out: list[Token] = []

    def tokens(self) -> list[Token]:
        while self.position < len(self.source):
            start = self.source.find("{{", self.position)
            if start < 0:
                self._text(self.position, len(self.source))
                break
            self._text(self.position, start)
            self._action(start)
        self.out.append(Token("eof", None, len(self.source), len(self.source)))
        return self.out

    def _text(self, start: int, end: int) -> None:
        if end > start:
            self.out.append(Token("text", self.source[start:end], start, end))

    def _trim_previous_text(self) -> None:
        if self.out and self.out[-1].kind == "text":
            last = self.out.pop()
            self._text(last.start, last.start + len(last.value.rstrip(SPACE)))

    def _action(self, start: int) -> None:
        source, self.position = self.source, start + 2
        if source.startswith("-", self.position) and source[self.position + 1:self.position + 2] in tuple(SPACE):
            self._trim_previous_text()
            self.position += 2
        if source.startswith("/*", self.position):
            self._comment(start)
            return
        self.out.append(Token("open", None, start, self.position))
        while not self._action_end(start):
            self._token()

    def _comment(self, start: int) -> None:
        end = self.source.find("*/", self.position + 2)
        if end < 0:
            raise TemplateSyntaxError("unclosed comment", start)
        self.position = end + 2
        if not self._closing(emit=False):
            raise TemplateSyntaxError("comment ends before closing delimiter", start)

    def _closing(self, emit: bool) -> bool:
        """Consume `}}` or ` -}}` at the position (the latter trims the following text)."""
        source, at = self.source, self.position
        trim = source[at:at + 1] in tuple(SPACE) and source.startswith("-}}", at + 1)
        if not trim and not source.startswith("}}", at):
            return False
        end = at + (4 if trim else 2)
        if emit:
            self.out.append(Token("close", None, at, end))
        if trim:
            rest = source[end:]
            end += len(rest) - len(rest.lstrip(SPACE))
        self.position = end
        return True

    def _action_end(self, start: int) -> bool:
        if self._closing(emit=True):
            return True
        while self.position < len(self.source) and self.source[self.position] in SPACE:
            self.position += 1
            if self._closing(emit=True):
                return True
        if self.position >= len(self.source):
            raise TemplateSyntaxError("unclosed action", start)
        return False

    def _emit(self, kind: str, value: object, end: int) -> None:
        self.out.append(Token(kind, value, self.position, end))
        self.position = end

    def _token(self) -> None:
        source, at = self.source, self.position
        char = source[at]
        if char in "|()":
            self._emit({"|": "pipe", "(": "lparen", ")": "rparen"}[char], char, at + 1)
        elif char == '"':
            self._quoted(at)
        elif char == "`":
            end = source.find("`", at + 1)
            if end < 0:
                raise TemplateSyntaxError("unterminated raw quoted string", at)
            self._emit("string", source[at + 1:end], end + 1)
        elif char == "." and (match := _IDENTIFIER.match(source, at + 1)):
            self._emit("field", match.group(), match.end())
        elif number := _NUMBER.match(source, at):
            self._number(number)
        elif char == ".":
            self._emit("dot", ".", at + 1)
        elif match := _IDENTIFIER.match(source, at):
            self._emit("identifier", match.group(), match.end())
        elif char == "$":
            raise TemplateSyntaxError("variables ($name) are not supported in notification templates", at)
        else:
            raise TemplateSyntaxError(f"bad character U+{ord(char):04X} {char!r}", at)

    def _quoted(self, at: int) -> None:
        match = re.compile(r'"((?:[^"\\\n]|\\.)*)"').match(self.source, at)
        if match is None:
            raise TemplateSyntaxError("unterminated quoted string", at)
        self._emit("string", _unquote(match.group(1), at), match.end())

    def _number(self, match: re.Match) -> None:
        text = match.group()
        following = self.source[match.end():match.end() + 1]
        if following and (following.isalnum() or following in "._"):
            raise TemplateSyntaxError(f"bad number syntax: {text + following!r}", match.start())
        if text.lstrip("+-").lower().startswith("0x"):
            value: object = int(text, 16)
        elif any(c in text for c in ".eE"):
            value = float(text)
            if value in (float("inf"), float("-inf")):
                raise TemplateSyntaxError(f"number out of range: {text}", match.start())
        else:
            value = int(text)
        self._emit("number", value, match.end())
