"""addAll3 with several batches in flight: codes recorded in batch order, one re-login for a session
that expires under all of them, and nothing more sent once a batch failed."""

from __future__ import annotations

import threading

import pytest

from episerver_assets.campaign.errors import CampaignSoapFault
from episerver_assets.campaign.soap import AddAll3Code, RecipientRecord

from .scripted_soap_server import INVALID_SESSION, Posted, axis_fault, int_array_reply, login_reply, scripted

RECIPIENTS = [RecipientRecord(f"r{i}", f"r{i}@example.com") for i in range(12)]


def _codes(posted: Posted) -> tuple[int, bytes]:
    """Code 5 for every third recipient, 0 for the others."""
    codes = [5 if int(e.text[1:]) % 3 == 0 else 0 for e in posted.arg(3)]
    return int_array_reply("RpcRecipient", "addAll3", codes)


def test_batches_overlap_and_their_codes_are_recorded_in_batch_order():
    second_arrived = threading.Event()
    overlapped = []

    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply("0123456789abcdef")
        first = posted.arg(3)[0].text
        if first == "r3":
            second_arrived.set()
        if first == "r0":  # the first batch answers only once the second is on the wire
            overlapped.append(second_arrived.wait(timeout=10))
        return _codes(posted)

    client, server = scripted(handler, batch_size=3)
    summary = client.add_all3(7, RECIPIENTS, [], connections=3)

    assert overlapped == [True]
    assert len(server.of("addAll3")) == 4 and summary.batches == 4 and summary.total == 12
    assert summary.recipient_ids[AddAll3Code.ALREADY_IN_LIST] == ["r0", "r3", "r6", "r9"]
    assert summary.added == 8


def test_a_session_expiring_under_batches_in_flight_is_renewed_once():
    logins = iter(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"])
    all_in_flight = threading.Barrier(3)

    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply(next(logins))
        if posted.arg(0).text == "aaaaaaaaaaaaaaaa":
            all_in_flight.wait(timeout=10)
            return axis_fault(INVALID_SESSION)
        return _codes(posted)

    client, server = scripted(handler, batch_size=4)
    summary = client.add_all3(7, RECIPIENTS, [], connections=3)

    assert server.operations().count("login") == 2
    assert [p.arg(0).text for p in server.of("addAll3")].count("bbbbbbbbbbbbbbbb") == 3
    assert summary.batches == 3 and summary.recipient_ids[AddAll3Code.ALREADY_IN_LIST] == ["r0", "r3", "r6", "r9"]


def test_nothing_more_is_sent_once_a_batch_failed():
    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply("0123456789abcdef")
        if posted.arg(3)[0].text == "r2":
            return axis_fault("Recipient list 7 is locked.")
        return _codes(posted)

    client, server = scripted(handler, batch_size=2)
    with pytest.raises(CampaignSoapFault, match="locked"):
        client.add_all3(7, RECIPIENTS, [], connections=2)
    sent = [p.arg(3)[0].text for p in server.of("addAll3")]
    assert sorted(sent[:2]) == ["r0", "r2"] and len(sent) <= 3


def test_the_connection_pool_grows_to_the_batches_in_flight_once():
    import requests

    from episerver_assets.campaign.soap.add_all3_send import widen_connection_pool

    session = requests.Session()
    widen_connection_pool(session, 12)
    adapter = session.get_adapter("http://")
    assert adapter._pool_maxsize == 12 and session.get_adapter("https://")._pool_maxsize == 12
    widen_connection_pool(session, 12)
    widen_connection_pool(session, 4)
    assert session.get_adapter("http://") is adapter
