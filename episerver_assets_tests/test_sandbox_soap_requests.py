"""How the sandbox's SOAP API reads requests: parameters by name or position, and the faults for
missing or malformed arguments, unknown operations and unknown services."""

from __future__ import annotations

import pytest

from .sandbox_soap_client import LIST_ID, Fault, args, envelope, seed_two
from .sandbox_soap_client import sandbox, server  # noqa: F401  (pytest fixtures; sandbox needs server)


@pytest.mark.parametrize("style", ["names-out-of-order", "positional-in", "unknown-names-by-position"])
def test_parameters_by_name_in_any_order_or_by_position(sandbox, style):
    seed_two(sandbox.client)
    session = sandbox.soap.login()
    names = ["first_name", "email"]
    arguments = {
        "names-out-of-order": args(attributeNames=names, sessionId=session, recipientListId=LIST_ID),
        "positional-in": args(in2=names, in0=session, in1=LIST_ID),
        "unknown-names-by-position": args(arg0=session, arg1=LIST_ID, arg2=names),
    }[style]

    values = sandbox.soap.call("RpcRecipient", "getAllFlat", arguments)

    assert values == ["Ann", "a@example.com", "Bob", "b@example.com"]


def test_missing_and_malformed_arguments_are_faults(sandbox):
    session = sandbox.soap.login()
    count = {"sessionId": session, "recipientListId": "abc", "recipientFilterId": 0}

    missing = sandbox.soap.fault("RpcRecipient", "getCount", args(sessionId=session))
    not_a_number = sandbox.soap.fault("RpcRecipient", "getCount", args(**count))
    malformed = sandbox.soap.fault_for("RpcRecipient", "<env:Envelope>")

    assert "missing recipientListId, recipientFilterId" in missing.message
    assert not_a_number.message == 'java.lang.NumberFormatException: For input string: "abc"'
    assert malformed.message.startswith("org.xml.sax.SAXParseException")


def test_unknown_operation_unimplemented_operation_and_unknown_service(sandbox):
    session = args(sessionId=sandbox.soap.login())

    unknown = sandbox.soap.fault("RpcRecipient", "frobnicate", session)
    unimplemented = sandbox.soap.fault("RpcRecipient", "changeRecipientId2", session)
    no_service = sandbox.soap.fault_for("RpcNothing", envelope("RpcNothing", "login", ""))

    assert unknown == Fault("soapenv:Client", "No such operation 'frobnicate'")
    assert unimplemented.code == "soapenv:Server.generalException"
    assert "RpcRecipient.changeRecipientId2" in unimplemented.message
    assert no_service.code == "soapenv:Server.NoService"
