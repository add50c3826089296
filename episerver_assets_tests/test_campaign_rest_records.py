"""Campaign REST client on a MockTransport: authentication, typed records and errors, settings."""

from __future__ import annotations

import base64

import dagster as dg
import httpx
import pytest

from episerver_assets.campaign.errors import CampaignAuthError, CampaignNotFound
from episerver_assets.campaign.rest import CampaignRestResource
from episerver_assets.campaign.rest.deadline import environment_proxy

from .campaign_rest_support import PASSWORD, T0, make_client, paged


def test_basic_auth_and_client_id_in_path():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 5, "username": "api-user", "email": "a@b.de"})

    client, _ = make_client(handler)
    assert client.check().ok
    expected = "Basic " + base64.b64encode(f"api-user:{PASSWORD}".encode()).decode()
    assert seen[0].headers["Authorization"] == expected
    assert seen[0].url.path == "/rest/1000/users/authenticated"


def test_errors_carry_status_message_method_url_but_never_credentials():
    def handler(request: httpx.Request) -> httpx.Response:
        status = 401 if request.url.path.endswith("authenticated") else 404
        return httpx.Response(status, json={"httpStatusCode": status, "errorMessage": "Recipient list 9 not found"})

    client, _ = make_client(handler)
    with pytest.raises(CampaignNotFound) as caught:
        client.recipient_list(9)
    error = caught.value
    assert (error.status, error.message, error.method) == (404, "Recipient list 9 not found", "GET")
    assert error.url.endswith("/rest/1000/recipientlists/9")
    text = str(error) + repr(error.__dict__)
    assert PASSWORD not in text and "Authorization" not in text and "Basic " not in text
    result = client.check()
    assert not result.ok and "401" in result.message and PASSWORD not in result.message
    with pytest.raises(CampaignAuthError):
        client.authenticated_user()


def test_recipient_lists_fields_and_attribute_names():
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/fields"):
            return httpx.Response(200, json={"elements": [
                {"internalName": "email", "displayName": "E-Mail", "type": "STRING", "required": True}]})
        if path.endswith("/attributeNames"):
            return httpx.Response(200, json={"attributeNames": ["email", "firstname"]})
        if path.endswith("/recipientlists/7"):
            return httpx.Response(200, json={"id": 7, "name": "Main", "recipients": 3, "created": T0})
        return paged(request, [{"id": 7, "name": "Main"}, {"id": 8, "name": "Test", "testList": True}])

    client, _ = make_client(handler)
    assert [(rl.id, rl.name) for rl in client.recipient_lists()] == [(7, "Main"), (8, "Test")]
    assert client.recipient_list(7).recipient_count == 3
    field = client.list_fields(7)[0]
    assert (field.internal_name, field.type, field.required) == ("email", "STRING", True)
    assert client.attribute_names(7) == ["email", "firstname"]


def test_resource_reads_its_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("EPISERVER_REST_URL", "http://127.0.0.1:9/rest")
    monkeypatch.setenv("EPISERVER_CLIENT_ID", "4242")
    monkeypatch.setenv("EPISERVER_API_USER", "env-user")
    monkeypatch.setenv("EPISERVER_API_PASSWORD", "env-pass")
    configured = CampaignRestResource(
        rest_url=dg.EnvVar("EPISERVER_REST_URL"), client_id=dg.EnvVar("EPISERVER_CLIENT_ID"),
        api_user=dg.EnvVar("EPISERVER_API_USER"), api_password=dg.EnvVar("EPISERVER_API_PASSWORD"),
    )
    with dg.build_resources({"rest": configured}) as resources:
        rest: CampaignRestResource = resources.rest
        assert (rest.rest_url, rest.client_id, rest.api_user) == ("http://127.0.0.1:9/rest", "4242", "env-user")
        assert "env-pass" not in repr(rest)
        with rest.client() as client:
            assert client._session.url("recipients", 7) == "http://127.0.0.1:9/rest/4242/recipients/7"


def test_the_transport_uses_the_environment_proxy_like_httpx_does(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert environment_proxy("https://api.campaign.episerver.net/rest") == "http://proxy.test:3128"
    assert environment_proxy("http://127.0.0.1:8765/rest") is None
    assert environment_proxy("http://campaign.test/rest") is None
