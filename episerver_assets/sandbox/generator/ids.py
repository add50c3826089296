"""Ids of generated objects: 64-bit, 11 digits like the seed's examples, unique per kind.

Daily objects (mailings, links, sending-log entries) get `base + day_serial * stride + index`, so
ids of one client never repeat across days (strides are the per-day maxima in scales.py) and stay
11 digits for days from 2020 to about 2040. Per-client objects (lists, source mailings, campaigns)
fold in the client id so that several clients of one sandbox do not share list ids.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from .scales import MAX_LINKS_PER_DAY, MAX_LISTS, MAX_MAILINGS_PER_DAY, MAX_SENDS_PER_DAY

ID_EPOCH = date(2020, 1, 1)

_LIST_BASE = 58_000_000_000
_SOURCE_MAILING_BASE = 44_000_000_000
_CAMPAIGN_BASE = 71_000_000_000
_MAILING_BASE = 51_000_000_000
_LINK_BASE = 40_000_000_000
_MAILING_TO_USER_BASE = 25_000_000_000
_CLIENT_SLOTS = 100_000


def day_serial(day: date) -> int:
    serial = (day - ID_EPOCH).days
    if serial < 0:
        raise ValueError(f"days before {ID_EPOCH} are not supported: {day}")
    return serial


def _client_base(base: int, client_id: int) -> int:
    return base + (client_id % _CLIENT_SLOTS) * MAX_LISTS


def list_id(client_id: int, list_index: int) -> int:
    return _client_base(_LIST_BASE, client_id) + list_index


def source_mailing_id(client_id: int, list_index: int) -> int:
    """The closed-loop source mailing that sends to list `list_index`: an upload's broadmail_ID."""
    return _client_base(_SOURCE_MAILING_BASE, client_id) + list_index


def campaign_id(client_id: int, list_index: int) -> int:
    """compoundMasterId: one Smart Campaign per list."""
    return _client_base(_CAMPAIGN_BASE, client_id) + list_index


def mailing_ids(day: date, indices: np.ndarray) -> np.ndarray:
    return _MAILING_BASE + day_serial(day) * MAX_MAILINGS_PER_DAY + indices.astype(np.int64)


def link_ids(day: date, indices: np.ndarray) -> np.ndarray:
    return _LINK_BASE + day_serial(day) * MAX_LINKS_PER_DAY + indices.astype(np.int64)


def mailing_to_user_ids(day: date, send_indices: np.ndarray) -> np.ndarray:
    return _MAILING_TO_USER_BASE + day_serial(day) * MAX_SENDS_PER_DAY + send_indices.astype(np.int64)
