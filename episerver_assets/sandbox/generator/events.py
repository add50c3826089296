"""The rows a chunk of sends produces in the six send-driven response files.

Only delivered (OK) sends are opened, clicked or automatically opened; unsubscribes come from
delivered sends to unsubscribing recipients; responses from sends with a response category (the
same category as in the sending log). Every event lies after its send and on the same day; opens
point to the mailing's first link (its open pixel), clicks to one of its other links.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import hashing, names
from .day_plan import (
    DAY_SECONDS,
    DELIVERY_STATUSES,
    OK,
    RESPONSE_CATEGORIES,
    SENDING_STATUSES,
    DayPlan,
    SendChunk,
    constant,
    dictionary,
    timestamps,
)
from .scales import RATES

DEVICE_PROFILES = (  # (browser, platform, device)
    ("Firefox 64.1", "Windows 10", "Desktop"),
    ("Chrome 120.0", "Windows 11", "Desktop"),
    ("Safari 17.2", "macOS 14", "Desktop"),
    ("Mobile Safari 17.2", "iOS 17", "Smartphone"),
    ("Samsung Internet 23.0", "Android 14", "Smartphone"),
    ("Chrome Mobile 120.0", "Android 13", "Tablet"),
    ("Outlook 2019", "Windows 10", "Desktop"),
    ("unknown", "unknown", "unknown"),
)
AUTOMATED_OPEN_CLIENT = ("Apple Mail Privacy Protection", "unknown")
AUTOMATED_OPEN_SECONDS = 600  # Apple Mail fetches images soon after delivery

_MAX_OCCURRENCES = 8  # events of one kind per send; event hashes are keyed by send * 8 + occurrence
# Streams of the day hash, above the ones day_plan.py uses.
_OPEN, _OPEN_COUNT, _CLICK, _CLICK_COUNT, _AUTOMATED, _TIME, _LINK, _DEVICE = range(100, 108)
_CLICKS, _OPENS, _AUTOMATED_OPENS, _UNSUBSCRIBES = range(4)  # table numbers inside those streams


def _counts(u: np.ndarray, probabilities: tuple[float, ...]) -> np.ndarray:
    """1, 2, ... with the given probabilities."""
    return 1 + np.searchsorted(np.cumsum(probabilities)[:-1], u, side="right")


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For events counted per send: each event's send position in the chunk and its occurrence number."""
    positions = np.repeat(np.arange(len(counts)), counts)
    firsts = np.repeat(np.cumsum(counts) - counts, counts)
    return positions, np.arange(len(positions)) - firsts


class _Events:
    """Hashes, times and shared columns of the events of one chunk of sends."""

    def __init__(self, plan: DayPlan, chunk: SendChunk):
        self.plan, self.chunk = plan, chunk

    def uniform(self, stream: int, *parts: int, at: np.ndarray | None = None, occurrence=0) -> np.ndarray:
        sends = self.chunk.send if at is None else self.chunk.send[at]
        return hashing.uniform(self.plan.key(stream, *parts), sends * _MAX_OCCURRENCES + occurrence)

    def times(self, table: int, at: np.ndarray, occurrence, within: int | None = None) -> np.ndarray:
        """Epoch seconds at least 1 s after the send, before the day ends (or within `within` s)."""
        sent = self.chunk.created[at]
        last = self.plan.day_start + DAY_SECONDS - 1 if within is None else sent + within
        u = self.uniform(_TIME, table, at=at, occurrence=occurrence)
        return sent + 1 + (u * np.maximum(last - sent - 1, 0)).astype(np.int64)

    def common(self, at: np.ndarray, created: np.ndarray) -> list[pa.Array]:
        """mailingId, mailingToUserId, mailingGroupId, userId, created of events at send positions."""
        return [
            pa.array(self.plan.mailing_ids[self.chunk.mailing[at]]),
            pa.array(self.chunk.mailing_to_user[at]),
            constant(self.plan.client_id, len(at)),
            self.chunk.email.take(pa.array(at)),
            timestamps(created),
        ]

    def devices(self, table: int, at: np.ndarray, occurrence: np.ndarray) -> list[pa.Array]:
        u = self.uniform(_DEVICE, table, at=at, occurrence=occurrence)
        profile = (u * len(DEVICE_PROFILES)).astype(np.int8)
        return [dictionary(profile, tuple(p[column] for p in DEVICE_PROFILES)) for column in range(3)]


def send_tables(plan: DayPlan, chunk: SendChunk) -> dict[str, list[pa.Array]]:
    """Columns, in wire order, of the six send-driven tables (all but mailings and links)."""
    events = _Events(plan, chunk)
    count = len(chunk.send)
    everyone = np.arange(count)
    delivered = chunk.delivery == OK
    opened = delivered & (events.uniform(_OPEN) < RATES.opened)
    opens = np.where(opened, _counts(events.uniform(_OPEN_COUNT), RATES.opens_per_opener), 0)
    clicked = opened & (events.uniform(_CLICK) < RATES.clicked_given_opened)
    clicks = np.where(clicked, _counts(events.uniform(_CLICK_COUNT), RATES.clicks_per_clicker), 0)
    automated = everyone[delivered & (events.uniform(_AUTOMATED) < RATES.automated_open)]
    unsubscribed = everyone[delivered & (chunk.fate == names.Fate.UNSUBSCRIBING)]
    responded = everyone[chunk.category != 0]

    per_mailing = plan.sizes.links_per_mailing
    open_at, open_occurrence = _expand(opens)
    click_at, click_occurrence = _expand(clicks)
    click_u = events.uniform(_LINK, at=click_at, occurrence=click_occurrence)
    click_link = 1 + (click_u * (per_mailing - 1)).astype(np.int64)
    constant_client = np.zeros(len(automated), np.int8)
    return {
        "mailingrecipients": [
            pa.array(chunk.mailing_to_user),
            pa.array(plan.mailing_ids[chunk.mailing]),
            constant(plan.client_id, count),
            chunk.email,
            timestamps(chunk.created),
            dictionary(chunk.sending, SENDING_STATUSES),
            dictionary(chunk.delivery, DELIVERY_STATUSES),
            dictionary(chunk.category, RESPONSE_CATEGORIES),
        ],
        "clicks": [
            pa.array(plan.link_ids[chunk.mailing[click_at] * per_mailing + click_link]),
            *events.common(click_at, events.times(_CLICKS, click_at, click_occurrence)),
            *events.devices(_CLICKS, click_at, click_occurrence),
        ],
        "opens": [
            pa.array(plan.link_ids[chunk.mailing[open_at] * per_mailing]),
            *events.common(open_at, events.times(_OPENS, open_at, open_occurrence)),
            *events.devices(_OPENS, open_at, open_occurrence),
        ],
        "automated_opens": [
            *events.common(automated, events.times(_AUTOMATED_OPENS, automated, 0, AUTOMATED_OPEN_SECONDS)),
            dictionary(constant_client, AUTOMATED_OPEN_CLIENT[:1]),
            dictionary(constant_client, AUTOMATED_OPEN_CLIENT[1:]),
        ],
        "unsubscribes": events.common(unsubscribed, events.times(_UNSUBSCRIBES, unsubscribed, 0)),
        # The seed documents responses.created as the "sending date and time".
        "responses": [
            *events.common(responded, chunk.created[responded]),
            dictionary(chunk.category[responded], RESPONSE_CATEGORIES),
        ],
    }

