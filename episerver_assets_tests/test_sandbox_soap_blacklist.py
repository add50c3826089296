"""The sandbox's RpcBlacklist over real HTTP: entries, patterns, and the same blocklist REST uses."""

from __future__ import annotations

from episerver_assets.sandbox.state import AddOutcome

from .sandbox_soap_client import API_USER, CLIENT_ID, LIST_ID, args
from .sandbox_soap_client import sandbox, server  # noqa: F401  (pytest fixtures; sandbox needs server)


def test_add_contains_entries_and_remove_with_patterns(sandbox):
    soap, session = sandbox.soap, sandbox.soap.login()

    def call(operation: str, **values):
        return soap.call("RpcBlacklist", operation, args(sessionId=session, **values))

    assert call("add", pattern="*@Example.com", reason="competitor") is None
    call("add", pattern="spam@other.org", reason="")
    call("addAll", patterns=["a?@third.net", "x@y.de"], reasons=["typo", "test"])

    assert call("getAllEntries") == ["*@Example.com", "spam@other.org", "a?@third.net", "x@y.de"]
    assert call("getCount") == 4
    # contains asks about an entry, isBlacklisted about an address an entry may match.
    assert call("contains", pattern="*@example.com") is True
    assert call("contains", pattern="bob@example.com") is False
    assert call("isBlacklisted", email="Bob@example.com") is True
    assert call("containsAll", patterns=["x@y.de", "nope"]) == [True, False]
    assert call("areBlacklisted", emails=["ab@third.net", "abc@third.net", "spam@other.org"]) == [True, False, True]
    assert call("getFirstMatchingEntry", email="bob@example.com") == "*@Example.com"
    assert call("getFirstMatchingEntry", email="nobody@nowhere.org") is None
    assert call("getReason", pattern="*@example.com") == "competitor"
    assert call("getReason", pattern="spam@other.org") is None

    call("remove", pattern="*@EXAMPLE.COM")
    call("removeAll", patterns=["x@y.de", "never-added@z.de"])

    assert call("getAllEntries") == ["spam@other.org", "a?@third.net"]
    assert call("isBlacklisted", email="bob@example.com") is False


def test_the_blocklist_is_the_one_recipients_and_rest_see(sandbox):
    client, soap, session = sandbox.client, sandbox.soap, sandbox.soap.login()
    client.add_blocklist_entry("rest@example.com", "added over REST")

    assert soap.call("RpcBlacklist", "getAllEntries", args(sessionId=session)) == ["rest@example.com"]
    soap.call("RpcBlacklist", "add", args(sessionId=session, pattern="*@blocked.org", reason="soap"))

    assert client.is_blocklisted("anyone@blocked.org")
    assert client.add_recipient(LIST_ID, "anyone@blocked.org", {}) is AddOutcome.BLOCKLISTED
    assert [e["pattern"] for e in client.blocklist_entries()] == ["rest@example.com", "*@blocked.org"]


def test_faults_name_the_call_like_the_live_service(sandbox):
    soap, session = sandbox.soap, sandbox.soap.login()

    unknown = soap.fault("RpcBlacklist", "getReason", args(sessionId=session, pattern="nobody@example.com"))
    empty = soap.fault("RpcBlacklist", "add", args(sessionId=session, pattern=" ", reason="x"))

    prefix = f"broadmail.api.soap11.impl.WebserviceImplException: [{session},{CLIENT_ID},{API_USER}] "
    assert unknown.code == "soapenv:Server.userException"
    assert unknown.message == (
        prefix + "Blacklist entry 'nobody@example.com' does not exist for call: pattern='nobody@example.com'"
    )
    assert empty.message == prefix + "Blacklist entry must not be empty for call: pattern=' ', reason='x'"
    assert soap.call("RpcBlacklist", "getCount", args(sessionId=session)) == 0
