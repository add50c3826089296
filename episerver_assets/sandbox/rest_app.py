"""The sandbox's Campaign REST API as one Starlette app, mounted by the server at `/rest`.

URLs are `{base}/rest/{clientId}/...` as on `https://api.campaign.episerver.net/rest`. Every Campaign
endpoint goes through the fault switch; `/_sandbox/faults` (the admin endpoint) does not.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Mount, Route

from .faults import FaultSwitch
from .rest import recipient_lists, recipients, suppressions, unserved, webhook_endpoints
from .rest.fault_injection import FaultInjection, admin_routes
from .rest.recipients import QueryHook
from .rest.wire import error_response
from .state import SandboxState


def build_rest_app(
    state: SandboxState, faults: FaultSwitch, *, recipient_query_hook: QueryHook | None = None
) -> Starlette:
    """The REST app over `state`, misbehaving as `faults` says.

    `recipient_query_hook` is awaited by every recipient select/count while it holds one of the
    client's 10 query slots; tests use it to keep queries in flight and provoke the 429.
    """
    campaign = Starlette(
        routes=[
            *unserved.routes(),
            *recipient_lists.routes(state),
            *recipients.routes(state, recipient_query_hook),
            *suppressions.routes(state),
            *webhook_endpoints.routes(state),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
    )
    return Starlette(
        routes=[*admin_routes(faults), Mount("", app=FaultInjection(campaign, faults))],
        exception_handlers={HTTPException: _http_error},
    )


async def _http_error(request: Request, error: Exception) -> Response:
    """Unknown paths and methods answer with Campaign's error body too, keeping headers such as `Allow`."""
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return error_response(error.status_code, error.detail, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method served at the request's path (one route per operation, so Starlette's own `Allow`
    names only the first route's). Literal segments win over templates, as at Campaign: `.../count`
    allows GET only, though `.../{recipientId}` matches it too."""
    matching = [
        route
        for route in request.app.router.routes
        if isinstance(route, Route) and route.endpoint not in (unserved.not_served, unserved.method_not_allowed)
        and route.matches(request.scope)[0] is not Match.NONE
    ]
    fewest_templates = min((route.path.count("{") for route in matching), default=0)
    served = {m for route in matching if route.path.count("{") == fewest_templates for m in route.methods or ()}
    return ", ".join(sorted(served))


async def _internal_error(request: Request, error: Exception) -> Response:
    """A sandbox bug still answers in Campaign's shape; Starlette logs the traceback."""
    return error_response(500, f"Internal server error: {type(error).__name__}")
