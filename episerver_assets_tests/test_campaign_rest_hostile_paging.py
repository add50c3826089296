"""Paging against a hostile server on 127.0.0.1: next links that loop, lead to another client or host.

Each case must end in `CampaignPagingError` naming GET and the page's URL (never the password), and
a link that is refused must never be requested: the server sees only the pages before it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from episerver_assets.campaign.errors import CampaignPagingError

from .campaign_rest_support import assert_names_call, hostile_client, recipient_json
from .hostile_http import Exchange, Scenario, Wire, hostile_server

FIRST_PAGE = "/rest/1000/recipients/7?offset=0&limit=1000"


def linking_to(href_of: Callable[[Exchange, int], str]) -> Scenario:
    """A scenario answering every page with one recipient and a next link `href_of(exchange, port)`."""
    def answer(exchange: Exchange, wire: Wire) -> None:
        port = int(exchange.headers["host"].rsplit(":", 1)[1])
        wire.respond_json({"elements": [recipient_json(1)],
                           "links": [{"rel": "next", "href": href_of(exchange, port)}]})
    return answer


@pytest.mark.parametrize("href_of", [
    lambda exchange, port: exchange.target,
    lambda exchange, port: f"http://127.0.0.1:{port}{exchange.target}",
], ids=["relative", "absolute"])
def test_a_next_link_to_the_same_page_stops_paging(href_of):
    with hostile_server(linking_to(href_of)) as server:
        with hostile_client(server) as client, pytest.raises(CampaignPagingError, match="repeats a page") as caught:
            list(client.recipients(7))
        assert_names_call(caught.value, "GET", f"http://127.0.0.1:{server.port}{FIRST_PAGE}")
        assert [r.target for r in server.requests] == [FIRST_PAGE]


def test_next_links_that_cycle_between_two_pages_stop_paging():
    def other(exchange: Exchange, port: int) -> str:
        return "/rest/1000/recipients/7?page=b" if "page=b" not in exchange.target else FIRST_PAGE

    with hostile_server(linking_to(other)) as server:
        with hostile_client(server) as client, pytest.raises(CampaignPagingError, match="repeats a page"):
            list(client.recipients(7))
        assert [r.target for r in server.requests] == [FIRST_PAGE, "/rest/1000/recipients/7?page=b"]


def test_endless_distinct_next_links_stop_at_max_pages():
    def answer(exchange: Exchange, wire: Wire) -> None:
        wire.respond_json({"elements": [], "links": [{"rel": "next", "href": exchange.target + "x"}]})

    with hostile_server(answer) as server:
        with hostile_client(server, max_pages=5) as client, pytest.raises(CampaignPagingError, match="more than 5 pages"):
            list(client.recipients(7))
        assert len(server.requests) == 5


def test_endless_full_webhook_pages_stop_at_max_pages():
    def answer(exchange: Exchange, wire: Wire) -> None:
        wire.respond_json([{"id": i, "type": "open", "targetUrl": "https://h.test"} for i in range(1000)])

    with hostile_server(answer) as server:
        with hostile_client(server, max_pages=3) as client, pytest.raises(CampaignPagingError) as caught:
            client.webhooks()
        assert_names_call(caught.value, "GET", f"{server.rest_url}/1000/webhooks")
        assert len(server.requests) == 3


@pytest.mark.parametrize("href_of", [
    lambda exchange, port: "/rest/1001/recipients/7?offset=1000",
    lambda exchange, port: f"http://127.0.0.1:{port}/rest/1001/recipients/7",
    lambda exchange, port: "/rest/10000/recipients/7",
    lambda exchange, port: "/rest/1000/%2e%2e/1001/recipients/7",
    lambda exchange, port: "/rest/1000",
    lambda exchange, port: "/other/1000/recipients/7",
    lambda exchange, port: "http://elsewhere.test/rest/1000/recipients/7",
    lambda exchange, port: f"http://localhost:{port}/rest/1000/recipients/7",
    lambda exchange, port: f"http://127.0.0.1:{port + 1}/rest/1000/recipients/7",
    lambda exchange, port: f"https://127.0.0.1:{port}/rest/1000/recipients/7",
    lambda exchange, port: f"http://api-user:stolen@127.0.0.1:{port}/rest/1000/recipients/7?o=1",
    lambda exchange, port: "//elsewhere.test/rest/1000/recipients/7",
], ids=["other-client", "other-client-absolute", "client-id-prefix", "encoded-dot-segments", "api-root", "other-api",
        "other-host", "other-name", "other-port", "other-scheme", "userinfo", "scheme-relative"])
def test_a_next_link_to_another_client_or_host_is_refused_and_never_requested(href_of):
    with hostile_server(linking_to(href_of)) as server:
        with hostile_client(server) as client, pytest.raises(CampaignPagingError, match="leaves the API") as caught:
            list(client.recipients(7))
        assert_names_call(caught.value, "GET", f"http://127.0.0.1:{server.port}{FIRST_PAGE}")
        assert "stolen" not in str(caught.value) and len(server.requests) == 1


def test_a_next_link_within_the_api_is_followed():
    def answer(exchange: Exchange, wire: Wire) -> None:
        last = "page=2" in exchange.target
        links = [] if last else [{"rel": "next", "href": "/rest/1000/recipients/7?page=2"}]
        wire.respond_json({"elements": [recipient_json(2 if last else 1)], "links": links})

    with hostile_server(answer) as server:
        with hostile_client(server) as client:
            assert [r.id for r in client.recipients(7)] == ["r1@example.com", "r2@example.com"]
        assert [r.target for r in server.requests] == [FIRST_PAGE, "/rest/1000/recipients/7?page=2"]
