"""The REST throttle: recipient reads and connections stay within Campaign's limits across threads."""

from __future__ import annotations

import threading

import httpx

from episerver_assets.campaign.rest import CampaignRestResource, Recipient

from .campaign_rest_support import make_client, recipient_json


class GatedHandler:
    """A transport handler that holds every request at a gate and counts how many are in flight."""

    def __init__(self, answer: dict):
        self.answer = answer
        self.in_flight = self.peak = self.done = 0
        self.open = False
        self.condition = threading.Condition()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.condition:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.condition.notify_all()
            self.condition.wait_for(lambda: self.open, timeout=10)
            self.in_flight -= 1
            self.done += 1
        return httpx.Response(200, json=self.answer)

    def measure_peak(self, limit: int, threads: int, call) -> int:
        """Start `threads` threads each making one call; with the gate shut, wait until `limit`
        requests are in flight, then give any excess half a second to show up, then open the gate."""
        errors: list[BaseException] = []

        def run() -> None:
            try:
                call()
            except BaseException as error:  # noqa: BLE001 - asserted below
                errors.append(error)

        workers = [threading.Thread(target=run) for _ in range(threads)]
        for worker in workers:
            worker.start()
        with self.condition:
            assert self.condition.wait_for(lambda: self.in_flight >= limit, timeout=5), self.in_flight
            self.condition.wait_for(lambda: self.in_flight > limit, timeout=0.5)
            self.open = True
            self.condition.notify_all()
        for worker in workers:
            worker.join(timeout=10)
        assert errors == [] and self.done == threads
        return self.peak


def test_recipient_reads_never_exceed_ten_in_flight_across_30_threads():
    gate = GatedHandler({"count": 1})
    client, _ = make_client(gate)
    assert gate.measure_peak(10, 30, lambda: client.count_recipients(7)) == 10


def test_recipient_selects_and_counts_share_the_ten_slots():
    gate = GatedHandler({"elements": [], "links": [], "count": 0})
    client, _ = make_client(gate)
    calls = iter([lambda: list(client.recipients(7)), lambda: client.count_recipients(7)] * 15)
    lock = threading.Lock()

    def one_call() -> None:
        with lock:
            call = next(calls)
        call()

    assert gate.measure_peak(10, 30, one_call) == 10


def test_other_requests_are_bounded_by_the_connection_limit_only():
    gate = GatedHandler({"id": 7})
    client, _ = make_client(gate, max_connections=12)
    assert gate.measure_peak(12, 30, lambda: client.recipient_list(7)) == 12


def test_clients_of_the_same_campaign_client_share_one_throttle():
    one = CampaignRestResource(rest_url="http://shared.test/rest", client_id="77").get_client()
    two = CampaignRestResource(rest_url="http://shared.test/rest/", client_id="77").get_client()
    other = CampaignRestResource(rest_url="http://shared.test/rest", client_id="78").get_client()
    assert one._session.throttle is two._session.throttle is not other._session.throttle
    for client in (one, two, other):
        client.close()


def test_recipient_json_helper_is_a_valid_recipient():
    # Guards the helper the fault tests build on: a typed record with attributes.
    assert Recipient.from_json(recipient_json(1)).attributes["firstname"] == "F1"
