"""SOAP faults quote the failed call's arguments; only their names may reach an error or a log."""

from __future__ import annotations

from episerver_assets.campaign.soap.faults import Redactor, fault_error

RECORDED_SHAPE = (
    "com.optivo.broadmail.api.WebserviceImplException: [a1b2c3,1000,api-user] Bulk update failed for call: "
    "recipientListId=58001000000, recipientIds=[ann.smith@example.com, bob@example.org], "
    "attributeNames=[firstname], attributeValues=[[Ann], [Bob Miller]]; caused by: invalid value"
)


def test_a_fault_keeps_the_argument_names_and_drops_their_values():
    error = fault_error("setAttributesInBatch", "soapenv:Server.userException", RECORDED_SHAPE,
                        "https://api.example/soap11/RpcRecipient", Redactor())

    assert error.message == (
        "[a1b2c3,1000,api-user] Bulk update failed for call: recipientListId=***, recipientIds=***, "
        "attributeNames=***, attributeValues=***; caused by: invalid value"
    )
    for personal in ("ann.smith", "bob@example.org", "Bob Miller", "[Ann]"):
        assert personal not in str(error)


def test_a_fault_without_call_arguments_is_unchanged_apart_from_addresses():
    error = fault_error("login", "soapenv:Server", "java.lang.Exception: invalid credentials for x@y.de", "", Redactor())

    assert error.message == "invalid credentials for ***"
