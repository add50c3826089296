"""One SOAP POST: parse, find the operation, check the session, run the handler, write the answer."""

from __future__ import annotations

import logging

from ..state import SandboxState
from .decode import bind_arguments, parse_request
from .encode import encode_fault, encode_response
from .faults import SERVER_GENERAL, ServiceError, SoapFault, no_service, no_such_operation, not_implemented
from .operations import CallContext, Param
from .services import SERVICES
from .sessions import SessionStore
from .wsdl import SERVICES_WITH_WSDL, wsdl_operations

log = logging.getLogger(__name__)


def handle_call(
    service: str, body: bytes, state: SandboxState, sessions: SessionStore, hostname: str
) -> tuple[int, bytes]:
    """HTTP status and SOAP envelope for one request: 200 with a response, 500 with a fault."""
    try:
        return 200, _call(service, body, state, sessions)
    except SoapFault as fault:
        return 500, encode_fault(fault, hostname)
    except Exception as error:
        # A sandbox bug: answer like Axis does for any Java exception, and keep the trace in the log.
        log.exception("SOAP %s failed", service)
        fault = SoapFault(f"{type(error).__name__}: {error}", SERVER_GENERAL)
        return 500, encode_fault(fault, hostname)


def _call(service: str, body: bytes, state: SandboxState, sessions: SessionStore) -> bytes:
    if service not in SERVICES_WITH_WSDL:
        raise no_service(service)
    request = parse_request(body)
    operation = SERVICES.get(service, {}).get(request.operation)
    if operation is None:
        if request.operation in wsdl_operations(service):
            raise not_implemented(service, request.operation)
        raise no_such_operation(request.operation)
    arguments = bind_arguments(operation.name, operation.params, request)
    context = CallContext(state, sessions)
    if not operation.needs_session:
        return encode_response(service, operation.name, operation.returns, operation.handler(context, *arguments))
    session = context.session = sessions.resolve(arguments.pop(0))
    try:
        result = operation.handler(context, *arguments)
    except ServiceError as error:
        who = f"{session.session_id},{session.client_id},{session.user}"
        raise error.in_call(who, describe_call(operation.params[1:], arguments)) from None
    return encode_response(service, operation.name, operation.returns, result)


def describe_call(params: tuple[Param, ...], arguments: list) -> str:
    """The arguments as the live service lists them after "for call:" (``recipientListId='1', ...``)."""
    return ", ".join(f"{param.name}={_argument_text(value)}" for param, value in zip(params, arguments, strict=True))


def _argument_text(value) -> str:
    """Scalars quoted (``'42'``), arrays bracketed without quotes (``[a, b]``), as the recorded fault."""
    if isinstance(value, list):
        return "[" + ", ".join(_plain_text(item) for item in value) + "]"
    return "null" if value is None else f"'{_plain_text(value)}'"


def _plain_text(value) -> str:
    if isinstance(value, list):
        return _argument_text(value)
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)
