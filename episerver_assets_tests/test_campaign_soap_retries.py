"""The Campaign SOAP client on transport failures: which calls are retried, and the typed errors."""

from __future__ import annotations

import socket

import pytest
import requests

from episerver_assets.campaign.errors import CampaignConnectionError, CampaignNotFound, CampaignServerError
from episerver_assets.campaign.soap import CampaignSoapClient, RecipientRecord

from .scripted_soap_server import (
    PASSWORD,
    SOAPENC,
    Handler,
    Posted,
    axis_reply,
    int_array_reply,
    login_reply,
    no_sleep_policy,
    scripted,
    settings,
)

def _failing(operation: str, failures: list[object]) -> Handler:
    pending = list(failures)

    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply("abcabcabcabcabca")
        if posted.operation == operation and pending:
            return pending.pop(0)
        if operation == "getAttributeNames":
            body = f'<getAttributeNamesReturn soapenc:arrayType="soapenc:string[1]" xsi:type="soapenc:Array" ' \
                   f'xmlns:soapenc="{SOAPENC}"><item xsi:type="soapenc:string">email</item></getAttributeNamesReturn>'
            return axis_reply("RpcRecipientList", "getAttributeNames", body)
        return int_array_reply("RpcRecipient", "addAll3", [0])

    return handler


def test_read_timeout_is_retried_for_reads():
    slept: list[float] = []
    client, server = scripted(_failing("getAttributeNames", [requests.ReadTimeout("slow")]),
                              policy=no_sleep_policy(3, slept))
    assert client.get_attribute_names(1) == ["email"]
    assert server.operations() == ["login", "getAttributeNames", "getAttributeNames"]
    assert len(slept) == 1


def test_read_timeout_of_add_all3_is_not_repeated():
    client, server = scripted(_failing("addAll3", [requests.ReadTimeout("slow")]))
    with pytest.raises(CampaignConnectionError) as caught:
        client.add_all3(1, [RecipientRecord("a", "a@x.de")], [])
    assert caught.value.effect_unknown is True
    assert server.operations() == ["login", "addAll3"]


def test_proxy_errors_are_retried_then_typed():
    page = (503, b"<html><body>Service Unavailable</body></html>")
    client, server = scripted(_failing("getAttributeNames", [page] * 5), policy=no_sleep_policy(3))
    with pytest.raises(CampaignServerError) as caught:
        client.get_attribute_names(1)
    assert caught.value.status == 503
    assert server.operations().count("getAttributeNames") == 3


def test_throttled_add_all3_is_repeated_after_retry_after():
    slept: list[float] = []
    throttled = (429, b"", {"Retry-After": "2"})
    client, server = scripted(_failing("addAll3", [throttled]), policy=no_sleep_policy(3, slept))
    assert client.add_all3(1, [RecipientRecord("a", "a@x.de")], []).added == 1
    assert server.operations() == ["login", "addAll3", "addAll3"]
    assert slept == [2.0]


def test_wrong_url_is_not_found_without_retry():
    client, server = scripted(lambda posted: (404, b"<html>Not Found</html>"))
    with pytest.raises(CampaignNotFound):
        client.login()
    assert server.operations() == ["login"]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_refused_connection_is_retried_and_reported(closed_port):
    slept: list[float] = []
    policy = no_sleep_policy(3, slept)
    client = CampaignSoapClient(settings(policy=policy, url=f"http://127.0.0.1:{closed_port}/soap11"))
    with pytest.raises(CampaignConnectionError) as caught:
        client.add_all3(1, [RecipientRecord("a", "a@x.de")], [])
    assert caught.value.effect_unknown is False
    assert len(slept) == 2
    assert PASSWORD not in str(caught.value)
