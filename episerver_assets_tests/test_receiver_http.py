"""The webhook receiver over HTTP: authentication, refusals with a reason, what a 2xx has stored."""

from __future__ import annotations

import json
import logging
import sqlite3

import pytest
from starlette.testclient import TestClient

from episerver_assets.receiver.app import build_app

from .receiver_fixtures import SECRET, basic_auth, receiver_config, stored_rows

JSON = {"Content-Type": "application/json"}
EVENT = {"type": "CLICK", "recipientId": "r1", "mediaTypesToAddresses": {"EMAIL": "a@example.com"}}


@pytest.fixture
def store_url(tmp_path):
    return f"sqlite:///{tmp_path / 'landing.sqlite3'}"


@pytest.fixture
def basic_client(store_url):
    with TestClient(build_app(receiver_config(store_url))) as client:
        yield client


@pytest.mark.parametrize("headers", [
    {},
    basic_auth(secret="wrong"),
    basic_auth(user="someone-else"),
    {"Authorization": "Basic !!not-base64!!"},
    {"Authorization": f"Bearer {SECRET}"},
    {"X-Api-Key": SECRET},  # right secret, wrong scheme for basic mode
])
def test_basic_mode_refuses_anything_but_the_right_user_and_secret(basic_client, store_url, headers):
    response = basic_client.post("/events", json=EVENT, headers=headers)
    assert response.status_code == 401 and response.content == b""
    assert stored_rows(store_url) == []


@pytest.mark.parametrize(("headers", "status"), [
    ({"X-Api-Key": SECRET}, 200),
    ({"x-api-key": SECRET}, 200),
    ({"X-Api-Key": SECRET + "x"}, 401),
    ({"X-Api-Key": ""}, 401),
    ({}, 401),
    (basic_auth(), 401),
])
def test_key_mode_wants_the_secret_in_its_header(store_url, headers, status):
    with TestClient(build_app(receiver_config(store_url, auth_mode="key"))) as client:
        response = client.post("/events", json=EVENT, headers=headers)
    assert response.status_code == status
    assert len(stored_rows(store_url)) == (1 if status == 200 else 0)
    if status == 401:
        assert response.content == b""


def _chunks(total: int, size: int = 1000):
    yield b"["
    for _ in range(total // size):
        yield b" " * size
    yield b"]"


@pytest.mark.parametrize(("content", "headers", "status", "words"), [
    (b"{not json", JSON, 400, "not JSON"),
    (b"\xff\xfe", JSON, 400, "not JSON"),
    (json.dumps(EVENT).encode(), {"Content-Type": "text/plain"}, 415, "application/json"),
    (json.dumps(EVENT).encode(), {}, 415, "application/json"),
    (b"[" + b" " * 5000 + b"]", JSON, 413, "limit of 4096 bytes"),
    (json.dumps([EVENT] * 6).encode(), JSON, 413, "6 events exceeds the limit of 5"),
    (json.dumps([EVENT, 3]).encode(), JSON, 400, "item 1 is a int"),
    (b'"just a string"', JSON, 400, "object or an array of objects"),
    (b"[]", JSON, 400, "empty array"),
])
def test_bad_input_is_refused_with_a_one_line_reason(basic_client, store_url, content, headers, status, words):
    response = basic_client.post("/events", content=content, headers={**headers, **basic_auth()})
    assert response.status_code == status
    assert words in response.text and response.text.count("\n") == 1
    assert stored_rows(store_url) == []


def test_an_oversize_body_without_content_length_is_cut_off_while_streaming(basic_client, store_url):
    response = basic_client.post("/events", content=_chunks(50_000), headers={**JSON, **basic_auth()})
    assert response.status_code == 413 and "limit of 4096 bytes" in response.text
    assert stored_rows(store_url) == []


def test_one_event_and_an_array_are_stored_raw_with_their_headers(basic_client, store_url):
    single = json.dumps(EVENT).encode()
    array = json.dumps([EVENT, {**EVENT, "type": "OPEN"}]).encode()
    extra = {"User-Agent": "Campaign-Webhook/1.0", "X-Request-Id": "req-42", **basic_auth()}
    first = basic_client.post("/events", content=single, headers={**JSON, **extra})
    second = basic_client.post("/events", content=array, headers={"Content-Type": "application/json; charset=utf-8",
                                                                  **basic_auth()})
    assert (first.status_code, first.json()) == (200, {"accepted": 1})
    assert (second.status_code, second.json()) == (200, {"accepted": 2})
    rows = stored_rows(store_url)
    assert [row["body"] for row in rows] == [single, array]
    assert [row["event_count"] for row in rows] == [1, 2]
    assert (rows[0]["user_agent"], rows[0]["request_id"], rows[0]["content_type"]) == (
        "Campaign-Webhook/1.0", "req-42", "application/json")
    assert rows[1]["content_type"] == "application/json; charset=utf-8" and rows[0]["received_at"] is not None
    assert not any(SECRET in str(value) for row in rows for value in row.values())


def test_health_and_readiness(basic_client):
    assert basic_client.get("/healthz").status_code == 200
    assert basic_client.get("/readyz").text == "ready\n"


def test_readiness_fails_when_the_store_cannot_be_written(tmp_path):
    store = tmp_path / "landing.sqlite3"
    with TestClient(build_app(receiver_config(f"sqlite:///{store}"))) as client:
        assert client.get("/readyz").status_code == 200
        with sqlite3.connect(store) as other:  # the probe's write now fails, as on a broken store
            other.execute("DROP TABLE receiver_readiness_probe")
        response = client.get("/readyz")
        assert (response.status_code, response.text) == (503, "landing store not writable\n")
        assert client.get("/healthz").status_code == 200  # alive, only not ready


def test_the_secret_never_reaches_the_log(basic_client, caplog):
    caplog.set_level(logging.DEBUG, logger="episerver_assets")
    basic_client.post("/events", json=EVENT, headers=basic_auth(secret=SECRET + "-wrong"))
    basic_client.post("/events", json=EVENT, headers=basic_auth())
    assert "POST /events 401" in caplog.text and "POST /events 200" in caplog.text
    request_lines = [record for record in caplog.records if "POST /events" in record.getMessage()]
    assert len(request_lines) == 2 and all(record.levelno == logging.DEBUG for record in request_lines)
    assert SECRET not in caplog.text


def test_other_methods_and_paths_are_starlettes_404_and_405(basic_client):
    assert basic_client.get("/events", headers=basic_auth()).status_code == 405
    assert basic_client.post("/elsewhere", json=EVENT, headers=basic_auth()).status_code == 404


def test_an_unexpected_error_is_a_500_logged_without_the_secret(basic_client, store_url, monkeypatch, caplog):
    def broken(_body, _max_events):
        raise RuntimeError("parser broke")

    monkeypatch.setattr("episerver_assets.receiver.app.count_events", broken)
    response = basic_client.post("/events", json=EVENT, headers=basic_auth())
    assert (response.status_code, response.text) == (500, "internal error\n")
    assert "POST /events 500" in caplog.text and "parser broke" in caplog.text and SECRET not in caplog.text
    assert stored_rows(store_url) == []
