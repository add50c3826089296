"""How a SOAP operation is declared: its Java parameter names and types, its return type, its handler.

The WSDLs name parameters only ``in0``, ``in1``, ...; the real server also accepts the Java
parameter names (the recorded requests use them, in any order), so each operation declares them,
e.g. ``"sessionId:string recipientListId:long attributeNames:string[]"``. ``user|username:string``
declares an alias.

Types: ``string``, ``int``, ``long``, ``boolean`` and arrays of them (``string[]``, ``string[][]``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..state import ClientState, SandboxState
from .sessions import Session, SessionStore


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    aliases: tuple[str, ...] = ()


@dataclass
class CallContext:
    """What a handler may use: the whole sandbox, the sessions and, once resolved, the caller's session."""

    state: SandboxState
    sessions: SessionStore
    session: Session | None = None

    @property
    def client(self) -> ClientState:
        assert self.session is not None, "operation declared without a session"
        return self.state.client(self.session.client_id)


Handler = Callable[..., Any]


@dataclass(frozen=True)
class Operation:
    """One operation. With ``needs_session`` the first parameter is the session id: it is resolved
    before the handler runs, and the handler gets the remaining arguments."""

    name: str
    params: tuple[Param, ...]
    returns: str | None
    handler: Handler
    needs_session: bool = True


def parse_signature(signature: str) -> tuple[Param, ...]:
    params = []
    for token in signature.split():
        names, _, type_ = token.partition(":")
        name, *aliases = names.split("|")
        params.append(Param(name, type_, tuple(aliases)))
    return tuple(params)


def operation(
    name: str, signature: str, returns: str | None, handler: Handler, *, needs_session: bool = True
) -> Operation:
    return Operation(name, parse_signature(signature), returns, handler, needs_session)
