"""Campaign's paging: `offset`/`limit` in, `{elements, count, offset, limit, links}` out.

`offset` is read even where the document declares only `limit` (`GET /responses`): the `next`
links carry it. `count` is the number of elements in this page (the collections are streamed; totals come from the
separate count endpoints). `links` holds `{"rel": "next", "href": <absolute URL>}` while more
elements follow, and is empty on the last page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from .operations import INT32, query
from .validation import param
from .wire import invalid_parameter

DEFAULT_LIMIT = 100
LIMIT_CEILING = 10_000
"""Campaign rejects `limit >= 10000` with 400."""


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int

    @classmethod
    def from_request(cls, request: Request) -> Paging:
        offset = _or(param(request, query("offset", INT32)), 0)
        limit = _or(param(request, query("limit", INT32)), DEFAULT_LIMIT)
        if limit >= LIMIT_CEILING:
            raise invalid_parameter("limit", "Invalid limit request. Change the limit to less than 10000.")
        if limit < 1:
            raise invalid_parameter("limit", "must be at least 1")
        if offset < 0:
            raise invalid_parameter("offset", "must not be negative")
        return cls(offset, limit)

    def window(self, items: list) -> list:
        return items[self.offset : self.offset + self.limit]

    def envelope(self, request: Request, elements: list[dict[str, Any]], total: int) -> dict[str, Any]:
        """The paged body for `elements` (this page) out of `total` matching items."""
        links = []
        if self.offset + self.limit < total:
            next_url = request.url.include_query_params(offset=self.offset + self.limit, limit=self.limit)
            links.append({"rel": "next", "href": str(next_url)})
        return {
            "elements": elements,
            "count": len(elements),
            "offset": self.offset,
            "limit": self.limit,
            "links": links,
        }


def _or(value: int | None, default: int) -> int:
    return default if value is None else value
