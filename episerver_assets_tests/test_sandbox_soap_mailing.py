"""The sandbox's RpcMailing over real HTTP: mailings, their lists and sendMail's documented codes."""

from __future__ import annotations

from episerver_assets.sandbox.state import ListField, RecipientList, TargetGroup

from .sandbox_soap_client import API_USER, CLIENT_ID, LIST_ID, args, seed_two
from .sandbox_soap_client import sandbox, server  # noqa: F401  (pytest fixtures; sandbox needs server)

OTHER_LIST = 12


def create(soap, session, mailing_type: str, name: str, lists: list[int]) -> int:
    return soap.call(
        "RpcMailing",
        "create",
        args(
            sessionId=session, mailingType=mailing_type, name=name, mimeType="text/html", recipientListIds=lists,
            senderEmailPrefix="news", senderName="Shop", charset="UTF-8",
        ),
    )


def test_mailings_ids_names_status_and_lists(sandbox):
    sandbox.client.lists[OTHER_LIST] = RecipientList(OTHER_LIST, "Other", "", [ListField("email")])
    soap, session = sandbox.soap, sandbox.soap.login()

    def call(operation: str, **values):
        return soap.call("RpcMailing", operation, args(sessionId=session, **values))

    event = create(soap, session, "event", "Welcome", [LIST_ID])
    regular = create(soap, session, "regular", "Newsletter", [LIST_ID, OTHER_LIST])

    assert call("getIds", mailingType="event") == [event]
    assert call("getIdsInStatus", mailingType="regular", mailingStatus="NEW") == [regular]
    assert call("getIdsInStatus", mailingType="regular", mailingStatus="DONE") == []
    assert (call("getCount", mailingType="regular"), call("getCount", mailingType="split")) == (1, 0)
    assert call("getName", mailingId=event) == "Welcome"
    assert call("getStatus", mailingId=event) == "NEW"
    assert call("getDescription", mailingId=event) is None  # never set: nil, not ""
    assert call("getRecipientListIds", mailingId=regular) == [LIST_ID, OTHER_LIST]

    call("setName", mailingId=event, name="Welcome 2")
    call("setDescription", mailingId=event, description="after sign-up")
    call("setRecipientListIds", mailingId=event, recipientListIds=[OTHER_LIST])

    assert call("getName", mailingId=event) == "Welcome 2"
    assert call("getDescription", mailingId=event) == "after sign-up"
    assert call("getRecipientListIds", mailingId=event) == [OTHER_LIST]
    call("remove", mailingId=regular)
    assert call("getIds", mailingType="regular") == []


def test_send_mail_answers_every_documented_code(sandbox):
    client, soap, session = sandbox.client, sandbox.soap, sandbox.soap.login()
    seed_two(client)  # a@example.com (Ann), b@example.com (Bob)
    for address in ("blocked@shop.test", "gone@example.com", "bouncy@example.com"):
        client.add_recipient(LIST_ID, address, {"email": address, "first_name": "Ann"})
    client.add_blocklist_entry("*@shop.test")
    client.unsubscribe("gone@example.com")
    for _ in range(3):
        client.record_bounce("bouncy@example.com", "hardbounce")
    client.target_groups[5] = TargetGroup(5, "Ann only", {"first_name": "Ann"})
    event = create(soap, session, "event", "Welcome", [LIST_ID])
    soap.call("RpcMailing", "setRecipientFilterIds", args(sessionId=session, mailingId=event, recipientFilterIds=[5]))

    def send(recipient_id: str, list_id: int = LIST_ID) -> int:
        return soap.call(
            "RpcMailing",
            "sendMail",
            args(sessionId=session, mailingId=event, recipientListId=list_id, recipientId=recipient_id),
        )

    codes = {
        "spooled": send("a@example.com"),
        "blocked": send("blocked@shop.test"),
        "unsubscribed": send("gone@example.com"),
        "not found": send("nobody@example.com"),
        "list not assigned": send("a@example.com", list_id=999),
        "target group": send("b@example.com"),
        "bounces": send("bouncy@example.com"),
    }
    many = soap.call(
        "RpcMailing",
        "sendMails",
        args(sessionId=session, mailingId=event, recipientListId=LIST_ID, recipientIds=["a@example.com", "x"]),
    )

    assert list(codes.values()) == [0, 1, 2, 3, 4, 5, 6]
    assert many == [0, 3]
    assert [(list_id, r) for list_id, r, _ in client.mailings[event].sends] == [(LIST_ID, "a@example.com")] * 2


def test_faults_for_unknown_mailings_types_and_non_event_sends(sandbox):
    soap, session = sandbox.soap, sandbox.soap.login()
    regular = create(soap, session, "regular", "Newsletter", [LIST_ID])
    prefix = f"broadmail.api.soap11.impl.WebserviceImplException: [{session},{CLIENT_ID},{API_USER}] "

    unknown = soap.fault("RpcMailing", "getName", args(sessionId=session, mailingId=42))
    bad_type = soap.fault("RpcMailing", "getIds", args(sessionId=session, mailingType="weekly"))
    not_event = soap.fault(
        "RpcMailing",
        "sendMail",
        args(sessionId=session, mailingId=regular, recipientListId=LIST_ID, recipientId="a@example.com"),
    )
    unknown_list = soap.fault(
        "RpcMailing", "setRecipientListIds", args(sessionId=session, mailingId=regular, recipientListIds=[1, 2])
    )

    assert unknown.message == prefix + "Mailing #42 does not exist for call: mailingId='42'"
    assert bad_type.message.startswith(prefix + "Invalid mailing type 'weekly': expected one of regular, event")
    assert bad_type.message.endswith(" for call: mailingType='weekly'")
    assert not_event.message == (
        prefix + f"Mailing #{regular} is a regular mailing; only event mailings can be sent for call: "
        f"mailingId='{regular}', recipientListId='{LIST_ID}', recipientId='a@example.com'"
    )
    assert unknown_list.message == (
        prefix + f"Recipient list #1 does not exist for call: mailingId='{regular}', recipientListIds=[1, 2]"
    )
    assert sandbox.client.mailings[regular].recipient_list_ids == [LIST_ID]
