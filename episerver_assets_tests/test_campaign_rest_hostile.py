"""Campaign REST client against a hostile or broken server on 127.0.0.1 (issue 8, section 4).

Every misbehaviour must end in a typed `CampaignError` that names the method and URL but not the
password, within the call's deadline and size cap, after exactly as many requests as expected (none
of these failures is retried: the policy below would allow four attempts).
"""

from __future__ import annotations

import time
import tracemalloc
import zlib

import pytest

from episerver_assets.campaign.errors import (
    CampaignDeadlineExceeded,
    CampaignInvalidResponse,
    CampaignOutcomeUnknown,
    CampaignResponseTooLarge,
    CampaignUnexpectedRedirect,
)
from episerver_assets.campaign.rest import RecipientData
from episerver_assets.campaign.rest import client as rest_client

from .campaign_rest_support import PASSWORD, assert_names_call, hostile_client
from .hostile_http import Exchange, Wire, hostile_server

MiB = 1024 * 1024


@pytest.mark.parametrize("content_type, body", [
    ("text/html", b"<html><body>502 Bad Gateway, but with status 200</body></html>"),
    ("application/json", b'{"id": 7, "name": "Main", '),
    ("application/json", b'\xff\xfe{"id": 7}'),
])
def test_a_200_that_is_not_json_is_a_typed_error_naming_the_request(content_type, body):
    with hostile_server(lambda exchange, wire: wire.respond(200, body, content_type)) as server:
        with hostile_client(server) as client, pytest.raises(CampaignInvalidResponse) as caught:
            client.recipient_list(7)
        assert_names_call(caught.value, "GET", f"{server.rest_url}/1000/recipientlists/7")
        assert "not valid JSON" in str(caught.value) and len(server.requests) == 1


def test_a_page_that_is_not_json_ends_paging_with_a_typed_error():
    with hostile_server(lambda exchange, wire: wire.respond(200, b"<html>maintenance</html>", "text/html")) as server:
        with hostile_client(server) as client, pytest.raises(CampaignInvalidResponse) as caught:
            list(client.recipients(7))
        assert_names_call(caught.value, "GET", f"{server.rest_url}/1000/recipients/7?offset=0&limit=1000")


def test_a_307_with_a_json_body_is_refused_not_followed_and_doctor_fails():
    def redirect(exchange: Exchange, wire: Wire) -> None:
        wire.respond(307, b'{"id": 1, "username": "someone-else"}', Location="http://elsewhere.test/rest/1000/x")

    with hostile_server(redirect) as server:
        url = f"{server.rest_url}/1000/users/authenticated"
        with hostile_client(server) as client:
            with pytest.raises(CampaignUnexpectedRedirect) as caught:
                client.authenticated_user()
            result = client.check()
        assert caught.value.status == 307 and "elsewhere.test" in str(caught.value)
        assert_names_call(caught.value, "GET", url)
        assert not result.ok and "307" in result.message and f"GET {url}" in result.message
        assert [r.target for r in server.requests] == ["/rest/1000/users/authenticated"] * 2


@pytest.mark.parametrize("body", [{"id": 5}, {"id": 5, "username": ""}, {}, [], None])
def test_doctor_check_fails_when_the_answer_names_no_user(body):
    with hostile_server(lambda exchange, wire: wire.respond_json(body)) as server:
        with hostile_client(server) as client:
            result = client.check()
        assert not result.ok and f"GET {server.rest_url}/1000/users/authenticated" in result.message
        assert "None" not in result.message and PASSWORD not in result.message


def too_large_with_peak_memory(server) -> tuple[CampaignResponseTooLarge, int]:
    """Read list 7 with a 1 MiB cap: the error it must end in, and the peak of Python memory meanwhile."""
    with hostile_client(server, max_response_bytes=MiB) as client, pytest.raises(CampaignResponseTooLarge) as caught:
        tracemalloc.start()
        try:
            client.recipient_list(7)
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    assert_names_call(caught.value, "GET", f"{server.rest_url}/1000/recipientlists/7")
    return caught.value, peak


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_an_endless_body_is_cut_off_at_the_cap_with_bounded_memory(framing):
    total, chunk = 70 * MiB, b" " * (64 * 1024)
    chunked = framing == "chunked"  # no length announced: the cap must hold while the body streams

    def endless(exchange: Exchange, wire: Wire) -> None:
        wire.head(200, {"Content-Type": "application/json",
                        **({"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(total)})})
        for _ in range(total // len(chunk)):
            wire.send(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)

    with hostile_server(endless) as server:
        error, peak = too_large_with_peak_memory(server)
        assert error.limit == MiB and peak < 8 * MiB
        [sent] = server.wait_answered(1)
        assert sent < total // 2, f"the server got {sent} bytes out: the client read on past the cap"


def gzip_of_zeros(size: int) -> bytes:
    packer, block = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS), bytes(MiB)
    return b"".join([*(packer.compress(block) for _ in range(size // MiB)), packer.flush()])


def test_a_gzip_bomb_is_stopped_at_the_cap_on_decoded_bytes():
    bomb = gzip_of_zeros(128 * MiB)  # about 130 KB on the wire; memory must not depend on the inflated size

    def answer(exchange: Exchange, wire: Wire) -> None:
        wire.respond(200, bomb, Content_Encoding="gzip")

    with hostile_server(answer) as server:
        error, peak = too_large_with_peak_memory(server)
        assert server.requests[0].headers["accept-encoding"] == "gzip"
        assert len(bomb) < MiB // 4 and peak < 8 * MiB


@pytest.mark.parametrize("encoding", ["gzip, gzip", "br", "deflate"])
def test_encodings_not_asked_for_are_refused_before_decoding(encoding):
    with hostile_server(lambda exchange, wire: wire.respond(200, b"\x1f\x8b junk", Content_Encoding=encoding)) as server:
        with hostile_client(server) as client, pytest.raises(CampaignInvalidResponse) as caught:
            client.recipient_list(7)
        assert "Content-Encoding" in str(caught.value)
        assert_names_call(caught.value, "GET", f"{server.rest_url}/1000/recipientlists/7")


@pytest.mark.parametrize("body, problem", [(b"\x1f\x8b junk", "not valid gzip"),
                                           (gzip_of_zeros(MiB)[:-20], "gzip body is truncated")])
def test_a_broken_gzip_body_is_a_typed_error(body, problem):
    with hostile_server(lambda exchange, wire: wire.respond(200, body, Content_Encoding="gzip")) as server:
        with hostile_client(server) as client, pytest.raises(CampaignInvalidResponse, match=problem) as caught:
            client.recipient_list(7)
        assert_names_call(caught.value, "GET", f"{server.rest_url}/1000/recipientlists/7")


def drip_body(exchange: Exchange, wire: Wire) -> None:
    wire.head(200, {"Content-Type": "application/json", "Content-Length": "1000"})
    wire.drip(b" " * 1000, every=0.05)


def drip_headers(exchange: Exchange, wire: Wire) -> None:
    wire.drip(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 1000, every=0.05)


@pytest.mark.parametrize("scenario", [drip_body, drip_headers], ids=["body", "headers"])
def test_a_dripping_server_meets_the_deadline_and_is_not_retried(scenario):
    with hostile_server(scenario) as server:
        with hostile_client(server, call_deadline_seconds=1.0) as client:
            began = time.monotonic()
            with pytest.raises(CampaignDeadlineExceeded) as caught:
                client.recipient_list(7)
            elapsed = time.monotonic() - began
        assert 1.0 <= elapsed < 1.8, elapsed
        assert caught.value.seconds == 1.0 and "deadline of 1 s exceeded" in str(caught.value)
        assert_names_call(caught.value, "GET", f"{server.rest_url}/1000/recipientlists/7")
        assert len(server.requests) == 1


def test_doctor_check_fails_within_its_own_deadline_against_a_dripping_server(monkeypatch):
    monkeypatch.setattr(rest_client, "CHECK_DEADLINE_SECONDS", 0.5)
    with hostile_server(drip_body) as server:
        with hostile_client(server) as client:  # calls keep the default deadline of minutes
            began = time.monotonic()
            result = client.check()
            elapsed = time.monotonic() - began
        assert not result.ok and "deadline of 0.5 s exceeded" in result.message and elapsed < 1.5
        assert f"GET {server.rest_url}/1000/users/authenticated" in result.message


def test_a_write_not_safe_to_repeat_that_outlasts_its_deadline_has_an_unknown_outcome():
    with hostile_server(drip_body) as server:
        with hostile_client(server, call_deadline_seconds=0.5) as client, pytest.raises(CampaignOutcomeUnknown) as caught:
            client.update_recipient(7, RecipientData("r-1", {"firstname": "A"}), mode="append")
        assert "deadline of 0.5 s exceeded" in caught.value.reason and len(server.requests) == 1
        assert_names_call(caught.value, "POST", f"{server.rest_url}/1000/recipients/7/r-1")
