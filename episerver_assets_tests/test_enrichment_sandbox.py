"""The sandbox's enrichment service over HTTP: client credentials, expiring tokens, a stable UUID per
address, and the answers tests script (401, 429 with Retry-After, 500) over its admin endpoint."""

from __future__ import annotations

import httpx
import pytest

from episerver_assets.sandbox.enrichment.app import uuid_for
from episerver_assets.settings import SANDBOX_ENRICHMENT_CLIENT_ID, SANDBOX_ENRICHMENT_SECRET


@pytest.fixture
def service(sandbox):
    with httpx.Client(base_url=f"{sandbox.http_base_url}/enrichment", timeout=10) as client:
        yield client


def _token(service: httpx.Client, **form) -> httpx.Response:
    return service.post("/oauth/token", data={"grant_type": "client_credentials", **form})


def _user(service: httpx.Client, email: str, token: str | None) -> httpx.Response:
    return service.post("/service/api/v2/user", params={"access_token": token} if token else {},
                        json={"email": email, "sourceCode": {"keyName": "k"}})


def test_client_credentials_in_the_form_or_as_basic_auth_get_an_expiring_bearer_token(service):
    in_form = _token(service, client_id=SANDBOX_ENRICHMENT_CLIENT_ID, client_secret=SANDBOX_ENRICHMENT_SECRET)
    basic = service.post("/oauth/token", data={"grant_type": "client_credentials"},
                         auth=(SANDBOX_ENRICHMENT_CLIENT_ID, SANDBOX_ENRICHMENT_SECRET))
    for answer in (in_form, basic):
        assert answer.status_code == 200
        assert answer.json()["token_type"] == "Bearer" and answer.json()["expires_in"] == 300
    assert in_form.json()["access_token"] != basic.json()["access_token"]
    wrong = _token(service, client_id=SANDBOX_ENRICHMENT_CLIENT_ID, client_secret="nope")
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    assert _token(service).status_code == 401
    assert service.post("/oauth/token", data={"grant_type": "password"}).status_code == 400


def test_the_user_endpoint_answers_a_stable_uuid_per_address_and_refuses_bad_tokens(service, sandbox):
    token = _token(service, client_id=SANDBOX_ENRICHMENT_CLIENT_ID,
                   client_secret=SANDBOX_ENRICHMENT_SECRET).json()["access_token"]
    first, again = _user(service, "Ann@Example.com", token), _user(service, " ann@example.com", token)
    assert first.json()["uuid"] == again.json()["uuid"] == uuid_for("ann@example.com")
    assert first.json()["uuid"] != _user(service, "bob@example.com", token).json()["uuid"]
    bearer = service.post("/service/api/v2/user", json={"email": "ann@example.com"},
                          headers={"Authorization": f"Bearer {token}"})
    assert bearer.json()["uuid"] == first.json()["uuid"]
    for refused, problem in ((_user(service, "ann@example.com", None), "missing access token"),
                             (_user(service, "ann@example.com", "forged"), "unknown access token")):
        assert refused.status_code == 401 and refused.json()["error_description"] == problem
        assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    sandbox.enrichment.tokens.clock = lambda: 10**12  # far beyond the token's 300 s
    expired = _user(service, "ann@example.com", token)
    assert (expired.status_code, expired.json()["error_description"]) == (401, "expired access token")
    assert _user(service, "not an address", _token(
        service, client_id=SANDBOX_ENRICHMENT_CLIENT_ID, client_secret=SANDBOX_ENRICHMENT_SECRET
    ).json()["access_token"]).status_code == 400


def test_answers_scripted_over_the_admin_endpoint_come_in_order_then_the_real_one(service):
    token = _token(service, client_id=SANDBOX_ENRICHMENT_CLIENT_ID,
                   client_secret=SANDBOX_ENRICHMENT_SECRET).json()["access_token"]
    script = {"script": [{"status": 429, "retry_after": 2}, {"status": 500}, {"status": 401, "email": "b@x.org"}]}
    assert service.put("/_sandbox/faults", json=script).json() == {"pending": 3}
    throttled = _user(service, "a@x.org", token)
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "2")
    assert _user(service, "a@x.org", token).status_code == 500
    assert _user(service, "a@x.org", token).status_code == 200  # the 401 is for b@x.org only
    assert _user(service, "b@x.org", token).status_code == 401
    assert service.put("/_sandbox/faults", json={"script": [{"status": 302}]}).status_code == 400
    assert service.put("/_sandbox/settings", json={"token_ttl_seconds": 5}).json() == {"token_ttl_seconds": 5.0}
    assert _token(service, client_id=SANDBOX_ENRICHMENT_CLIENT_ID,
                  client_secret=SANDBOX_ENRICHMENT_SECRET).json()["expires_in"] == 5
