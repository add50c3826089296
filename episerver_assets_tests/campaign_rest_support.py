"""Shared helpers of the Campaign REST client tests: mock-transport clients, canned pages, the sandbox.

Unit tests answer from an httpx.MockTransport (`make_client`); integration tests talk to the sandbox
REST app over HTTP on 127.0.0.1 (`running_sandbox`); hostile-server tests use `hostile_client`
against `hostile_http.hostile_server`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from episerver_assets.campaign.rest import CampaignRestClient, CampaignRestResource
from episerver_assets.campaign.retry import RetryPolicy
from episerver_assets.sandbox.faults import FaultSwitch
from episerver_assets.sandbox.http import BackgroundHttpServer
from episerver_assets.sandbox.rest_app import build_rest_app
from episerver_assets.sandbox.state import ClientAccount, SandboxState
from episerver_assets.sandbox.state import ListField as SandboxField
from episerver_assets.sandbox.state import RecipientList as SandboxList

from .hostile_http import HostileServer
from .openapi_contract import load_spec, validate_exchange, validate_request

PASSWORD = "s3cret-pa55"
T0 = "2024-05-01T10:00:00.000+00:00"
LOGGER = "episerver_assets.campaign.rest"


def fast_policy(max_attempts: int = 4) -> tuple[RetryPolicy, list[float]]:
    """A retry policy whose waits are recorded instead of slept, with jitter pinned to the ceiling."""
    waits: list[float] = []
    return RetryPolicy(max_attempts, base_delay=0.01, max_delay=0.08, random=lambda: 1.0, sleep=waits.append), waits


def make_client(handler: Callable[[httpx.Request], httpx.Response], *, max_attempts: int = 4,
                **settings) -> tuple[CampaignRestClient, list[float]]:
    """A client on a MockTransport, with a unique rest_url so the process-wide throttle is its own."""
    resource = CampaignRestResource(
        rest_url=f"http://campaign-{uuid.uuid4().hex[:8]}.test/rest", client_id="1000",
        api_user="api-user", api_password=PASSWORD, **settings,
    )
    policy, waits = fast_policy(max_attempts)
    return resource.get_client(transport=httpx.MockTransport(handler), policy=policy), waits


def recipient_json(i: int, modified: str = T0) -> dict:
    return {"id": f"r{i}@example.com", "created": T0, "modified": modified, "email": f"r{i}@example.com",
            "firstname": f"F{i}"}


def paged(request: httpx.Request, items: list[dict], with_links: bool = True) -> httpx.Response:
    """Campaign's paged envelope for `items`, honouring offset/limit, with an absolute next link."""
    offset = int(request.url.params.get("offset", 0))
    limit = int(request.url.params.get("limit", 100))
    page = items[offset:offset + limit]
    body: dict = {"elements": page, "count": len(page), "offset": offset, "limit": limit}
    if with_links:
        more = offset + limit < len(items)
        body["links"] = [{"rel": "next", "href": str(request.url.copy_merge_params({"offset": offset + limit}))}] if more else []
    return httpx.Response(200, json=body)


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode(), keep_blank_values=True)


def always(status: int, body: object) -> tuple[list[httpx.Request], Callable[[httpx.Request], httpx.Response]]:
    """A handler that answers every request with `status` and JSON `body`, and the requests it saw."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, json=body)

    return calls, handler


def retry_records(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.getMessage().startswith("Retrying")]


def hostile_client(server: HostileServer, **settings) -> CampaignRestClient:
    """A client of `server` (a real HTTP transport) whose waits between attempts are recorded, not slept."""
    resource = CampaignRestResource(rest_url=server.rest_url, client_id="1000", api_user="api-user",
                                    api_password=PASSWORD, **settings)
    return resource.get_client(policy=fast_policy(4)[0])


def assert_names_call(error: Exception, method: str, url: str) -> None:
    """The error names the request (method and URL) and carries no password, in text or attributes."""
    text = str(error)
    assert f"{method} {url}" in text, text
    assert PASSWORD not in text and PASSWORD not in repr(getattr(error, "__dict__", {}))


# --- the sandbox REST app over HTTP on 127.0.0.1 ----------------------------------------------------

SANDBOX_CLIENT, SANDBOX_USER, SANDBOX_PASSWORD, LIST = 1000, "sandbox-api", "sandbox-secret", 77


@dataclass
class RunningSandbox:
    state: SandboxState
    faults: FaultSwitch
    rest_url: str

    @property
    def campaign(self):
        return self.state.client(SANDBOX_CLIENT)

    def list_ids(self) -> set[str]:
        with self.campaign.lock:
            return set(self.campaign.lists[LIST].recipients)

    def client(self, *, max_attempts: int = 6, record: list[httpx.Response] | None = None,
               **settings) -> CampaignRestClient:
        """A client with short real backoff waits; `record` collects every response it receives."""
        resource = CampaignRestResource(rest_url=self.rest_url, client_id=str(SANDBOX_CLIENT),
                                        api_user=SANDBOX_USER, api_password=SANDBOX_PASSWORD, **settings)
        client = resource.get_client(policy=RetryPolicy(max_attempts, base_delay=0.005, max_delay=0.05))
        if record is not None:
            client.http.event_hooks["response"].append(record.append)
        return client


@contextmanager
def running_sandbox(faults: FaultSwitch | None = None, **options) -> Iterator[RunningSandbox]:
    """The sandbox REST app mounted at /rest, served on a free 127.0.0.1 port, with list 77."""
    state = SandboxState([ClientAccount(SANDBOX_CLIENT, SANDBOX_USER, SANDBOX_PASSWORD)])
    fields = [SandboxField("email", required=True), SandboxField("firstname"), SandboxField("lastname")]
    state.client(SANDBOX_CLIENT).lists[LIST] = SandboxList(LIST, "Newsletter", "Main list", fields)
    faults = faults or FaultSwitch()
    app = Starlette(routes=[Mount("/rest", app=build_rest_app(state, faults, **options))])
    with BackgroundHttpServer(app) as server:
        yield RunningSandbox(state, faults, f"{server.base_url}/rest")


def validate_exchanges(responses: list[httpx.Response]) -> set[str]:
    """Validate every recorded request, and every success response, against the vendor document.

    Error responses are left out: the document lists few error statuses (no 401, no 404 for
    updates), so a sandbox 4xx would fail for the document's gaps, not the client's.
    """
    spec = load_spec()
    return {validate_exchange(spec, r.request, r) if r.status_code < 400 else validate_request(spec, r.request)
            for r in responses}
