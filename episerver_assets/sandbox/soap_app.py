"""The sandbox's SOAP API: RpcSession, RpcRecipient, RpcRecipientList, RpcUnsubscribe, RpcBlacklist and
RpcMailing, rpc/encoded SOAP 1.1 in the shape of Campaign's Apache Axis 1.4 server.

Mounted by the sandbox server at ``/soap11``:

- ``POST {base}/soap11/Rpc<Service>`` calls an operation (``soap/dispatch.py``);
- ``GET {base}/soap11/Rpc<Service>?wsdl`` serves the vendor's WSDL with ``soap:address`` rewritten to
  this server's own URL, built from the request (scheme, Host header, root path), since the port is
  only known at run time. All six vendor WSDLs are served; ``soap.services.SERVICES`` lists the
  implemented operations.

Faults are HTTP 500. The recorded ones are reproduced as recorded (faultcode
``soapenv:Server.userException``, faultstring
``broadmail.api.soap11.impl.WebserviceImplException: <message>``, e.g. ``Invalid credentials.``); an
error inside a session reads ``...WebserviceImplException: [<sessionId>,<clientId>,<user>] <message> for
call: <name>='<value>', ...`` as the recorded ``bulk_update_failure`` does.
Where no recording exists the sandbox chooses, in the same style:

- expired or unknown session id: ``broadmail.api.soap11.impl.WebserviceImplException: Invalid session:
  the session has expired or does not exist. Please login again.`` (``faults.INVALID_SESSION``;
  a client recognises it by ``Invalid session``). A session expires ``session_ttl_seconds`` after its
  last use; ``logout`` of an unknown session succeeds;
- unknown operation: faultcode ``soapenv:Client``, ``No such operation '<name>'`` (as Axis);
- an operation in the WSDL that the sandbox does not implement: ``soapenv:Server.generalException``,
  ``java.lang.UnsupportedOperationException: ...``;
- unknown recipient list, unknown recipient, unknown attribute name, array lengths that do not match:
  a ``WebserviceImplException`` naming the list, recipient, attribute or arrays; attribute names must
  be fields of the list (or ``email``);
- more than 10 concurrent ``RpcRecipient.getCount`` (with REST selects/counts): a
  ``WebserviceImplException`` starting ``Too many simultaneous requests``;
- arguments Axis could not deserialise (missing, not a number, malformed XML): faultstrings such as
  ``java.lang.NumberFormatException: For input string: "abc"``.

Opt-in processes are not modelled: any ``optinProcessId`` behaves like 0 (add at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from .soap.dispatch import handle_call
from .soap.sessions import SessionStore
from .soap.wsdl import SERVICES_WITH_WSDL, wsdl_with_address
from .state import SandboxState

XML_MEDIA_TYPE = "text/xml; charset=utf-8"


def build_soap_app(
    state: SandboxState,
    session_ttl_seconds: float = 1200.0,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """The SOAP API over ``state``; ``clock`` (seconds) decides session expiry and is for tests."""
    sessions = SessionStore(session_ttl_seconds, clock)

    async def service_endpoint(request: Request) -> Response:
        service = request.path_params["service"]
        if request.method == "GET":
            return _get(request, service)
        body = await request.body()
        hostname = request.url.hostname or "localhost"
        # Handlers take the state's threading locks: keep them off the event loop.
        status, payload = await run_in_threadpool(handle_call, service, body, state, sessions, hostname)
        return Response(payload, status_code=status, media_type=XML_MEDIA_TYPE)

    return Starlette(routes=[Route("/{service}", service_endpoint, methods=["GET", "POST"])])


def endpoint_url(request: Request, service: str) -> str:
    """This service's URL as the client reached it, including the mount point (``/soap11``)."""
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"{request.url.scheme}://{host}{request.scope.get('root_path', '')}/{service}"


def _get(request: Request, service: str) -> Response:
    if service not in SERVICES_WITH_WSDL:
        return PlainTextResponse(f"No service {service}", status_code=404)
    if any(key.lower() == "wsdl" for key in request.query_params):
        return Response(wsdl_with_address(service, endpoint_url(request, service)), media_type=XML_MEDIA_TYPE)
    # What Axis answers to a plain GET on a service.
    return HTMLResponse(f"<h1>{service}</h1><p>Hi there, this is an AXIS service!</p>")
