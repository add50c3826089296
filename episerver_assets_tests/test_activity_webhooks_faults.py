"""Webhook registration under lost answers (sandbox fault injection) and with the secret kept out of sight."""

from __future__ import annotations

import logging
import threading
import traceback
from urllib.parse import parse_qs

import dagster as dg
import httpx
import pytest

from episerver_assets.campaign.rest import CampaignRestResource
from episerver_assets.campaign.retry import RetryPolicy
from episerver_assets.defs.activity.webhook_sync import sync_webhooks
from episerver_assets.defs.activity.webhook_target import WebhookRegistrationError, WebhookTarget

from .activity_webhook_support import OUR_URL, SECRET, materialize, metadata_of, remove, sandbox_webhooks

LOST_REPLY = "a read shows it took effect"


def target(**overrides) -> WebhookTarget:
    values = dict(target_url=OUR_URL, auth_mode="basic", user="campaign-webhook", key_header="X-Api-Key",
                  secret=SECRET, event_types=["open", "click"])
    return WebhookTarget(**{**values, **overrides})


def _is_create(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/webhooks")


class LosesFirstCreateAnswer(httpx.BaseTransport):
    """The real connection to the sandbox, except that the first create's answer is lost after the
    sandbox made the webhook (the sandbox's own faults strike before it reads a request's body)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if _is_create(request) and not self.lost:
            self.lost += 1
            response.read()
            response.close()
            raise httpx.ReadError("connection reset before the answer arrived", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def _rest_resource(sandbox) -> CampaignRestResource:
    return CampaignRestResource(rest_url=sandbox.info()["rest_url"], client_id=str(sandbox.client_ids[0]))


def test_a_create_whose_answer_was_lost_after_it_took_effect_is_not_repeated(sandbox, caplog):
    transport = LosesFirstCreateAnswer()
    policy = RetryPolicy(6, base_delay=0.001, max_delay=0.01)
    with _rest_resource(sandbox).get_client(transport=transport, policy=policy) as rest, \
            caplog.at_level(logging.WARNING):
        changes = sync_webhooks(rest, target())
    hooks = sandbox_webhooks(sandbox)
    assert transport.lost == 1 and LOST_REPLY in caplog.text
    assert sorted(h.type for h in hooks) == ["click", "open"] and {h.status for h in hooks} == {"activated"}
    assert sorted(c.id for c in changes) == [h.webhook_id for h in hooks]


def test_a_create_dropped_by_the_sandbox_is_sent_again_once(sandbox, caplog):
    """The sandbox's fault switch drops the first create (and the check's first read) unseen."""
    armed = threading.Event()

    def drop_from_first_create(request: httpx.Request) -> None:
        if _is_create(request) and not armed.is_set():
            armed.set()
            sandbox.faults.configure(rate_drop=1.0)

    policy = RetryPolicy(6, base_delay=0.001, max_delay=0.01, random=lambda: 1.0,
                         sleep=lambda _seconds: sandbox.faults.reset())
    with _rest_resource(sandbox).get_client(policy=policy) as rest, caplog.at_level(logging.WARNING):
        rest.http.event_hooks["request"].append(drop_from_first_create)
        sync_webhooks(rest, target())
    hooks = sandbox_webhooks(sandbox)
    assert armed.is_set() and "a read shows no effect" in caplog.text and LOST_REPLY not in caplog.text
    assert sorted(h.type for h in hooks) == ["click", "open"] and {h.status for h in hooks} == {"activated"}


@pytest.fixture
def secret_env(sandbox_env, monkeypatch):
    monkeypatch.setenv("EPISERVER_RECEIVER_PUBLIC_URL", OUR_URL)
    monkeypatch.setenv("EPISERVER_RECEIVER_SECRET", SECRET)
    monkeypatch.setenv("EPISERVER_ACTIVITY_EVENT_TYPES", "open,bounce")


@pytest.mark.parametrize("mode", ["basic", "key"])
def test_the_secret_reaches_no_log_no_metadata_and_no_event(sandbox, secret_env, monkeypatch, caplog, mode):
    """Register, rotate the secret, remove: nothing logged, shown or stored by Dagster quotes either secret."""
    monkeypatch.setenv("EPISERVER_RECEIVER_AUTH", mode)
    with dg.DagsterInstance.ephemeral() as instance, caplog.at_level(logging.DEBUG):
        first = materialize(instance)
        monkeypatch.setenv("EPISERVER_RECEIVER_SECRET", "the-rotated-" + SECRET)
        runs = [first, materialize(instance), remove(instance)]
        stored = "".join(str(entry) for run in runs for entry in instance.all_logs(run.run_id))
    metadata = metadata_of(first)
    assert all(run.success for run in runs) and metadata["active_webhooks"] == 2
    assert "2 webhooks for http://127.0.0.1:9/events active" in stored and "removed 2 webhooks" in stored
    assert "POST /rest/1000/webhooks" in caplog.text.replace(sandbox.http_base_url, "")  # the client's own logs
    assert SECRET not in caplog.text + stored
    assert {h.authentication.get("password") or h.authentication.get("passphrase")
            for h in sandbox_webhooks(sandbox)} <= {None}  # removed: nothing of ours left to hold it
    assert ("X-Api-Key" if mode == "key" else "campaign-webhook") in metadata["authentication"]


def test_an_error_quoting_the_secret_is_raised_with_the_secret_masked(caplog):
    """A service that echoes the form in its error message: the error is re-raised, secret masked."""

    def echoing_campaign(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[])
        form = parse_qs(request.content.decode())
        return httpx.Response(400, json={"errorMessage": f"invalid authentication {form['authentication'][0]}"})

    resource = CampaignRestResource(rest_url="http://campaign-echo.test/rest", client_id="1000",
                                    api_user="api", api_password="api-password")
    registration = target(auth_mode="key")
    with resource.get_client(transport=httpx.MockTransport(echoing_campaign)) as rest, caplog.at_level(logging.DEBUG):
        with pytest.raises(WebhookRegistrationError) as raised:
            with registration.secret_withheld():
                sync_webhooks(rest, registration)
    text = "".join(traceback.format_exception(raised.value))
    assert "CampaignHttpError" in text and '"passphrase": "****"' in text
    assert SECRET not in text and SECRET not in caplog.text
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_an_error_without_the_secret_passes_unchanged():
    registration = target()
    with pytest.raises(KeyError, match="no secret here"):
        with registration.secret_withheld():
            raise KeyError("no secret here")
