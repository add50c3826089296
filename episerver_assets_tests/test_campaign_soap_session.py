"""The Campaign SOAP client's sessions: lazy login, reuse, logout, one re-login after expiry, bad credentials."""

from __future__ import annotations

import itertools
import logging

import pytest

from episerver_assets.campaign.errors import CampaignSessionExpired, CampaignSoapFault
from episerver_assets.campaign.soap import RecipientRecord

from .scripted_soap_server import (
    INVALID_SESSION,
    PASSWORD,
    Handler,
    Posted,
    axis_fault,
    axis_reply,
    int_array_reply,
    login_reply,
    scripted,
)

def test_clear_check_login_and_close_manage_their_sessions():
    logins = itertools.count(1)

    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply(f"session-{next(logins)}")
        return axis_reply(posted.service, posted.operation)

    client, server = scripted(handler)
    client.clear(31)
    client.check()  # its own session: the held one stays
    client.clear(32)
    client.login()  # replaces the held session and logs the old one out
    client.close()
    assert [(p.operation, p.arg(0).text) for p in server.posted] == [
        ("login", "1000"), ("clear", "session-1"),
        ("login", "1000"), ("logout", "session-2"),
        ("clear", "session-1"),
        ("login", "1000"), ("logout", "session-1"),
        ("logout", "session-3"),
    ]
    assert server.of("clear")[0].arg(1).text == "31"


# --- sessions -------------------------------------------------------------------------------------


def test_login_is_lazy_and_the_session_is_reused():
    client, server = scripted()
    assert server.posted == []
    client.clear(1)
    client.get_attribute_names(1)
    assert server.operations() == ["login", "clear", "getAttributeNames"]
    login = server.of("login")[0]
    assert [a.text for a in login.call] == ["1000", "api-user", PASSWORD]


def _sessions_expire(times: int) -> Handler:
    """Logins hand out s1, s2, ...; the first `times` session-bound calls fail as expired."""
    counter = itertools.count(1)
    failures = itertools.count()

    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply(f"session{next(counter):09d}")
        if next(failures) < times:
            return axis_fault(INVALID_SESSION)
        return int_array_reply("RpcRecipient", "addAll3", [0] * len(posted.arg(3)))

    return handler


def test_expired_session_logs_in_once_more_and_retries(caplog):
    caplog.set_level(logging.INFO)
    client, server = scripted(_sessions_expire(1))
    summary = client.add_all3(3, [RecipientRecord("a", "a@x.de")], ["email"])
    assert summary.added == 1
    assert server.operations() == ["login", "addAll3", "login", "addAll3"]
    first, retry = server.of("addAll3")
    assert first.arg(0).text == "session000000001" and retry.arg(0).text == "session000000002"
    assert first.raw.replace(b"session000000001", b"session000000002") == retry.raw
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1
    assert "RpcRecipient.addAll3" in warning[0].getMessage()
    assert "Invalid session" in warning[0].getMessage()


def test_a_second_session_failure_in_a_row_is_raised():
    client, server = scripted(_sessions_expire(2))
    with pytest.raises(CampaignSessionExpired, match="Invalid session"):
        client.add_all3(3, [RecipientRecord("a", "a@x.de")], ["email"])
    assert server.operations() == ["login", "addAll3", "login", "addAll3"]


def test_wrong_credentials_raise_a_fault_without_retry_or_secret(caplog):
    caplog.set_level(logging.DEBUG)

    def handler(posted: Posted):
        return axis_fault("Invalid credentials.")

    client, server = scripted(handler)
    with pytest.raises(CampaignSoapFault) as caught:
        client.clear(1)
    assert not isinstance(caught.value, CampaignSessionExpired)
    assert caught.value.message == "Invalid credentials." and caught.value.operation == "login"
    assert server.operations() == ["login"]
    assert PASSWORD not in str(caught.value) and PASSWORD not in caplog.text
