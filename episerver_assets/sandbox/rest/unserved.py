"""Vendor operations the sandbox does not serve: a plain 404, never a neighbouring route's answer.

Campaign's literal path segments win over path templates (`/recipients/trackingoptout` is not a
recipient list called "trackingoptout"), and an unserved method of a served path is an unknown
operation, not 405 (`literal_guard` keeps served literal paths from falling through the same way).
So each of these answers 404 with Campaign's error body for any method; they
sit before the served routes. Paths with no served neighbour (e.g. `/unsubscribes/count`) need no
entry: nothing matches them anyway.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .wire import error_response

_LITERAL_PATHS = (
    "/{clientId}/recipients/trackingoptout",
    "/{clientId}/recipients/updaterecipientid",
    "/{clientId}/recipients/{recipientListId}/distinctvalues",
)
_UNSERVED_METHODS = (
    ("/{clientId}/recipientlists", "POST"),  # copyRecipientList
    ("/{clientId}/recipientlists/{recipientListId}", "POST"),  # updateRecipientList
    ("/{clientId}/recipients/{recipientListId}/modify", "POST"),  # ...ByTargetGroup: no target groups via REST
    ("/{clientId}/unsubscribes", "DELETE"),  # removeUnsubscribes
    ("/{clientId}/blacklistentries", "DELETE"),  # deleteBlacklistEntries
)
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


async def not_served(request: Request) -> Response:
    return error_response(404, "Not found: the sandbox does not serve this operation.")


async def method_not_allowed(request: Request) -> Response:
    raise HTTPException(405)


def literal_guard(path: str) -> Route:
    """After the served routes of a literal path (`.../count`): any other method is 405 there, instead
    of falling through to a template route (`.../{recipientId}`) as if "count" were a recipient."""
    return Route(path, method_not_allowed, methods=_ALL_METHODS)


def routes() -> list[Route]:
    return [
        *(Route(path, not_served, methods=_ALL_METHODS) for path in _LITERAL_PATHS),
        *(Route(path, not_served, methods=[method]) for path, method in _UNSERVED_METHODS),
    ]
