"""Slow and vanishing senders on a real socket: a head or body trickled past its deadline (slowloris)
gets 408 and its connection closed, a silent connection is closed; a sender leaving mid-body is a
DEBUG line, not an error."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import httpx
import pytest

from episerver_assets.receiver.head_deadline import HeadDeadlineProtocol

from .receiver_fixtures import SECRET, basic_auth, receiver_config, running_receiver, stored_rows

BODY_DEADLINE_SECONDS = 0.5
TRICKLE_PACE_SECONDS = 0.05  # the bounded read between two trickled bytes; the body lasts ~100 of them
GIVE_UP_SECONDS = 10
HEAD_DEADLINE_SECONDS = 0.5


def _request_head(body_length: int) -> bytes:
    lines = ["POST /events HTTP/1.1", "Host: receiver", "Content-Type: application/json",
             f"Content-Length: {body_length}", f"Authorization: {basic_auth()['Authorization']}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _trickle_until_answered(connection: socket.socket, rest: bytes) -> bytes:
    """Send `rest` a byte at a time, each after a read bounded by the pace, until the server answers;
    then read the answer until the server closes (or the overall deadline passes)."""
    connection.settimeout(TRICKLE_PACE_SECONDS)
    answer, deadline = b"", time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < deadline:
        try:
            chunk = connection.recv(4096)
        except TimeoutError:
            if rest:
                connection.sendall(rest[:1])
                rest = rest[1:]
            continue
        if not chunk:
            return answer
        answer += chunk
    raise AssertionError(f"the connection was still open after {GIVE_UP_SECONDS} s; answer so far {answer!r}")


def test_a_body_trickled_past_the_deadline_gets_408_and_frees_the_connection(tmp_path):
    store_url = f"sqlite:///{tmp_path / 'landing.sqlite3'}"
    config = receiver_config(store_url, body_read_seconds=BODY_DEADLINE_SECONDS)
    body = json.dumps([{"type": "OPEN", "padding": "x" * 40}] * 2).encode()
    with running_receiver(config) as (host, port):
        with socket.create_connection((host, port), timeout=GIVE_UP_SECONDS) as slow:
            slow.sendall(_request_head(len(body)) + body[:1])
            started = time.monotonic()
            # Others are served meanwhile: the slow sender holds no worker.
            other = httpx.post(f"http://{host}:{port}/events", json={"type": "OPEN"}, timeout=5,
                               headers=basic_auth())
            answer = _trickle_until_answered(slow, body[1:])
            waited = time.monotonic() - started
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"connection: close" in head and answer.endswith(b"body not received within 0.5 s\n")
    assert BODY_DEADLINE_SECONDS <= waited < GIVE_UP_SECONDS / 2
    assert other.status_code == 200
    assert [row["body"] for row in stored_rows(store_url)] == [b'{"type":"OPEN"}']
    assert SECRET.encode() not in answer


def test_a_sender_leaving_mid_body_stores_nothing_and_logs_no_error(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="episerver_assets.receiver")
    store_url = f"sqlite:///{tmp_path / 'landing.sqlite3'}"
    with running_receiver(receiver_config(store_url)) as (host, port):
        with socket.create_connection((host, port), timeout=GIVE_UP_SECONDS) as leaving:
            leaving.sendall(_request_head(100) + b'[{"type": "OPEN"')
        noticed, deadline = threading.Event(), time.monotonic() + GIVE_UP_SECONDS
        while "client left before its body was complete" not in caplog.text and time.monotonic() < deadline:
            noticed.wait(0.01)  # polls the real condition (the receiver's log line) under a deadline
        after = httpx.post(f"http://{host}:{port}/events", json={"type": "OPEN"}, timeout=5, headers=basic_auth())
    assert "client left before its body was complete" in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR], caplog.text
    assert after.status_code == 200 and len(stored_rows(store_url)) == 1


@pytest.fixture
def short_head_deadline(monkeypatch):
    monkeypatch.setattr(HeadDeadlineProtocol, "head_deadline_seconds", HEAD_DEADLINE_SECONDS)


@pytest.mark.parametrize(("sent", "rest", "answer_start"), [
    (b"POST /events HTTP/1.1\r\nHost: receiver\r\n", b"X-Slow: " + b"a" * 200, b"HTTP/1.1 408 "),
    (b"", b"", b""),  # connected, then silent: closed without an answer
], ids=["trickled head", "silent connection"])
def test_a_head_trickled_or_never_sent_is_cut_off(tmp_path, short_head_deadline, sent, rest, answer_start):
    store_url = f"sqlite:///{tmp_path / 'landing.sqlite3'}"
    with running_receiver(receiver_config(store_url)) as (host, port):
        with socket.create_connection((host, port), timeout=GIVE_UP_SECONDS) as slow:
            slow.sendall(sent)
            started = time.monotonic()
            answer = _trickle_until_answered(slow, rest)
            waited = time.monotonic() - started
        after = httpx.post(f"http://{host}:{port}/events", json={"type": "OPEN"}, timeout=5, headers=basic_auth())
    assert answer.startswith(answer_start) and (answer_start or answer == b"")
    assert answer_start == b"" or answer.endswith(b"request head not received in time\n")
    assert HEAD_DEADLINE_SECONDS * 0.9 <= waited < GIVE_UP_SECONDS / 2
    assert after.status_code == 200
