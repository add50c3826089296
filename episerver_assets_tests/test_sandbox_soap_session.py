"""The sandbox's SOAP sessions: expiry after the TTL since last use, logout, bad credentials."""

from __future__ import annotations

import pytest

from .sandbox_soap_client import API_PASSWORD, API_USER, CLIENT_ID, LIST_ID, TTL, Fault, args
from .sandbox_soap_client import sandbox, server  # noqa: F401  (pytest fixtures; sandbox needs server)


def test_session_expires_after_the_ttl_since_last_use(sandbox):
    session = sandbox.soap.login()
    get_all_ids = args(sessionId=session)
    sandbox.clock.advance(TTL - 1)
    assert sandbox.soap.call("RpcRecipientList", "getAllIds", get_all_ids) == [LIST_ID]
    sandbox.clock.advance(TTL - 1)
    assert sandbox.soap.call("RpcRecipientList", "getAllIds", get_all_ids) == [LIST_ID], "use restarts the TTL"

    sandbox.clock.advance(TTL)
    fault = sandbox.soap.fault("RpcRecipientList", "getAllIds", get_all_ids)

    assert fault.code == "soapenv:Server.userException"
    assert fault.message.startswith("broadmail.api.soap11.impl.WebserviceImplException: Invalid session")
    fresh = args(sessionId=sandbox.soap.login())
    assert sandbox.soap.call("RpcRecipientList", "getAllIds", fresh) == [LIST_ID]


def test_logout_ends_the_session(sandbox):
    session = sandbox.soap.login()

    assert sandbox.soap.call("RpcSession", "logout", args(sessionId=session)) is None

    after_logout = sandbox.soap.fault("RpcRecipientList", "getAllIds", args(sessionId=session))
    made_up = sandbox.soap.fault("RpcRecipientList", "getAllIds", args(sessionId="0123456789abcdef"))
    assert "Invalid session" in after_logout.message
    assert "Invalid session" in made_up.message


@pytest.mark.parametrize("client_id, password", [(CLIENT_ID, "wrong"), (999, API_PASSWORD)])
def test_login_with_bad_credentials_is_the_recorded_fault(sandbox, client_id, password):
    fault = sandbox.soap.fault("RpcSession", "login", args(mandatorId=client_id, user=API_USER, password=password))
    message = "broadmail.api.soap11.impl.WebserviceImplException: Invalid credentials."
    assert fault == Fault("soapenv:Server.userException", message)
