"""The sandbox's SOAP recipient, list and unsubscribe operations over real HTTP."""

from __future__ import annotations

from episerver_assets.sandbox.state import ListField, RecipientList

from .sandbox_soap_client import API_USER, CLIENT_ID, LIST_ID, args, seed_two
from .sandbox_soap_client import sandbox, server  # noqa: F401  (pytest fixtures; sandbox needs server)


def test_clear_empties_the_list(sandbox):
    seed_two(sandbox.client)
    session = sandbox.soap.login()
    count = args(sessionId=session, recipientListId=LIST_ID, recipientFilterId=0)
    assert sandbox.soap.call("RpcRecipient", "getCount", count) == 2

    assert sandbox.soap.call("RpcRecipient", "clear", args(sessionId=session, recipientListId=LIST_ID)) is None

    assert sandbox.soap.call("RpcRecipient", "getCount", count) == 0
    assert sandbox.client.lists[LIST_ID].recipients == {}
    unknown = sandbox.soap.fault("RpcRecipient", "clear", args(sessionId=session, recipientListId=999))
    assert unknown.message == (
        f"broadmail.api.soap11.impl.WebserviceImplException: [{session},{CLIENT_ID},{API_USER}] "
        "Recipient list #999 does not exist for call: recipientListId='999'"
    )


def test_add2_update_contains_and_remove_one_recipient(sandbox):
    session = sandbox.soap.login()
    one = {"sessionId": session, "recipientListId": LIST_ID, "recipientId": "c@example.com"}
    add2 = args(
        sessionId=session,
        recipientListId=LIST_ID,
        optinProcessId=0,
        recipientId="c@example.com",
        address="c@example.com",
        attributeNames=["first_name"],
        attributeValues=["Cy"],
    )

    assert sandbox.soap.call("RpcRecipient", "add2", add2) == 0
    assert sandbox.soap.call("RpcRecipient", "add2", add2) == 5
    assert sandbox.soap.call("RpcRecipient", "contains", args(**one)) is True
    update = args(**one, attributeNames=["last_name"], attributeValues=["Ämmerle & Co"])
    assert sandbox.soap.call("RpcRecipient", "setAttributes", update) is None
    read = args(**one, attributeNames=["first_name", "last_name"])
    assert sandbox.soap.call("RpcRecipient", "getAttributes", read) == ["Cy", "Ämmerle & Co"]
    assert sandbox.soap.call("RpcRecipient", "remove", args(**one)) is None
    assert sandbox.soap.call("RpcRecipient", "contains", args(**one)) is False


def test_set_attributes_in_batch_flat_is_all_or_nothing(sandbox):
    seed_two(sandbox.client)
    session = sandbox.soap.login()

    def batch(ids: list[str]) -> str:
        return args(
            recipientListId=LIST_ID,
            recipientIds=ids,
            attributeNames=["last_name"],
            flatAttributeValues=[i.upper() for i in ids],
            sessionId=session,
        )

    fault = sandbox.soap.fault(
        "RpcRecipient", "setAttributesInBatchFlat", batch(["a@example.com", "x@example.com"])
    )
    recipients = sandbox.client.lists[LIST_ID].recipients
    assert "Recipients x@example.com do not exist" in fault.message
    assert recipients["a@example.com"].attributes["last_name"] is None

    sandbox.soap.call("RpcRecipient", "setAttributesInBatchFlat", batch(["a@example.com", "b@example.com"]))

    last_names = [recipients[r].attributes["last_name"] for r in ("a@example.com", "b@example.com")]
    assert last_names == ["A@EXAMPLE.COM", "B@EXAMPLE.COM"]


def test_recipient_lists(sandbox):
    sandbox.client.lists[12] = RecipientList(12, "Other", "Second list", [ListField("email")], test_list=True)
    session = sandbox.soap.login()
    list_12 = args(sessionId=session, recipientListId=12)

    def names(locale: str) -> list[str]:
        return sandbox.soap.call(
            "RpcRecipientList", "getAttributeNames", args(sessionId=session, recipientListId=LIST_ID, locale=locale)
        )

    def count(include_test_lists: bool) -> int:
        flag = args(sessionId=session, includeTestLists=str(include_test_lists).lower())
        return sandbox.soap.call("RpcRecipientList", "getCount", flag)

    assert sandbox.soap.call("RpcRecipientList", "getAllIds", args(sessionId=session)) == [12, LIST_ID]
    fields = ["email", "first_name", "last_name"]
    # The system attributes the live service appends, as recorded for "de".
    assert names("de") == [*fields, "Erstellt am", "Geändert am", "Opt-in-Quelle", "Opt-in-Datum"]
    assert names("en") == names("fr") == [*fields, "Created on", "Modified on", "Opt-in source", "Opt-in date"]
    assert (count(True), count(False)) == (2, 1)
    assert sandbox.soap.call("RpcRecipientList", "getName", list_12) == "Other"
    assert sandbox.soap.call("RpcRecipientList", "getDescription", list_12) == "Second list"


def test_values_never_set_are_nil(sandbox):
    sandbox.client.add_recipient(LIST_ID, "a@example.com", {"email": "a@example.com", "first_name": ""})
    session = sandbox.soap.login()
    names = ["email", "first_name", "last_name"]
    flat = sandbox.soap.call(
        "RpcRecipient", "getAllFlat", args(sessionId=session, recipientListId=LIST_ID, attributeNames=names)
    )
    one = sandbox.soap.call(
        "RpcRecipient",
        "getAttributes",
        args(sessionId=session, recipientListId=LIST_ID, recipientId="a@example.com", attributeNames=names),
    )
    # An empty string stays empty; a value never set travels as xsi:nil, not as "".
    assert flat == one == ["a@example.com", "", None]


def test_unsubscribes_add_contains_count_remove(sandbox):
    session = sandbox.soap.login()

    def contains(address: str) -> bool:
        return sandbox.soap.call("RpcUnsubscribe", "contains", args(sessionId=session, recipientId=address))

    sandbox.soap.call(
        "RpcUnsubscribe", "add", args(sessionId=session, recipientListId=0, recipientId="Jo@Example.com")
    )

    assert contains("jo@example.com") is True
    assert sandbox.soap.call("RpcUnsubscribe", "getCount", args(sessionId=session)) == 1
    assert sandbox.client.add_recipient(LIST_ID, "jo@example.com", {}) == 2, "an unsubscribe blocks adding"
    sandbox.soap.call("RpcUnsubscribe", "remove", args(sessionId=session, recipientId="jo@example.com"))
    assert contains("Jo@Example.com") is False
    assert sandbox.soap.call("RpcUnsubscribe", "getCount", args(sessionId=session)) == 0


def test_unsubscribe_to_an_unknown_list_faults_instead_of_succeeding(sandbox):
    session = sandbox.soap.login()

    fault = sandbox.soap.fault(
        "RpcUnsubscribe", "addAll", args(sessionId=session, recipientListId=999, recipientIds=["a@example.com"])
    )

    assert fault.message == (
        f"broadmail.api.soap11.impl.WebserviceImplException: [{session},{CLIENT_ID},{API_USER}] "
        "Recipient list #999 does not exist for call: recipientListId='999', recipientIds=[a@example.com]"
    )
    assert sandbox.client.unsubscribes == {}
