"""One day of Campaign activity for one client: its mailings, links and sends.

The day's mailings (and their links) are few and computed up front. Sends are many and computed
for any slice of send indices on its own (see hashing.py), so a day is produced chunk by chunk and
memory depends on the chunk size, never on the size of the day.

The shape of a day: mailing `m` goes to list `(m + day_serial) % lists`, starts between 06:00 and
14:00 and sends, one after the other over `duration` seconds, to consecutive members of that list
from a seeded offset (so no recipient gets one mailing twice). Recipient `i` is a member of list
`i % lists`. A recipient's Fate (names.py) decides blocklisted, hard-bouncing and unsubscribing
sends, so that the files agree with the state `populate` builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from . import hashing, ids, names
from .scales import RATES, Sizes

SENDING_STATUSES = ("sending", "sent", "could_not_be_sent")
DELIVERY_STATUSES = ("", "OK", "HARD", "SOFT")
RESPONSE_CATEGORIES = ("", "unknown", "bounce", "temporary_bounce", "fatal_bounce", "autoresponder")
OK = DELIVERY_STATUSES.index("OK")
_NOT_SENT = SENDING_STATUSES.index("could_not_be_sent")
_HARD = DELIVERY_STATUSES.index("HARD")
_FATAL = RESPONSE_CATEGORIES.index("fatal_bounce")
LINK_TEMPLATES = (  # (name, path); link 0 of every mailing is its open pixel
    ("Öffnungs-Pixel", "pixel.gif"),
    ("Impressum", "impressum"),
    ('Angebot "Sommer; 20%"', "angebot/sommer"),
    ("Zum Shop", "shop"),
    ("Datenschutzerklärung", "datenschutz"),
    ("Über uns", "ueber-uns"),
    ("Abmelden", "abmelden"),
)

DAY_SECONDS = 86_400
_FIRST_START = 6 * 3600
_START_WINDOW = 8 * 3600
_SENDS_PER_SECOND = 500
# Streams of the day hash (stream_key parts); events.py uses 100 and up.
_OFFSET, _JITTER, _STATUS, _LINK_ROTATION = range(4)
# Status bands of a send without a fate, drawn from one uniform: sending, soft (2), replies (2), OK.
_BANDS = np.cumsum(
    [
        RATES.still_sending,
        RATES.soft_bounce / 2,
        RATES.soft_bounce / 2,
        RATES.autoresponder,
        RATES.unknown_reply,
    ]
)
_BAND_SENDING = np.array([SENDING_STATUSES.index("sending")] + [SENDING_STATUSES.index("sent")] * 5)
_BAND_DELIVERY = np.array([DELIVERY_STATUSES.index(s) for s in ("", "SOFT", "SOFT", "OK", "OK", "OK")])
_BAND_CATEGORY = np.array(
    [RESPONSE_CATEGORIES.index(c) for c in ("", "bounce", "temporary_bounce", "autoresponder", "unknown", "")]
)


def dictionary(codes: np.ndarray, values: tuple[str, ...]) -> pa.DictionaryArray:
    """A string column stored as small codes: enums cost one byte a row until written."""
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8()), pa.array(values, pa.string()))


def constant(value: int, length: int) -> pa.Array:
    return pa.array(np.full(length, value, dtype=np.int64))


def timestamps(seconds: np.ndarray) -> pa.Array:
    """Naive second-precision timestamps; the CSV writer prints them as YYYY-MM-DD HH:MM:SS."""
    return pa.array(seconds.astype("datetime64[s]"))


@dataclass(frozen=True)
class SendChunk:
    """A contiguous run of the day's sends, one array element per send."""

    send: np.ndarray  # send index within the day
    mailing: np.ndarray  # mailing index within the day
    mailing_to_user: np.ndarray
    email: pa.Array
    created: np.ndarray  # epoch seconds
    fate: np.ndarray  # names.Fate
    sending: np.ndarray  # index into SENDING_STATUSES
    delivery: np.ndarray  # index into DELIVERY_STATUSES
    category: np.ndarray  # index into RESPONSE_CATEGORIES


class DayPlan:
    """The mailings of one day and the mapping from a send index to its recipient and outcome."""

    def __init__(self, seed: int, day: date, sizes: Sizes, client_id: int):
        self.seed, self.day, self.sizes, self.client_id = seed, day, sizes, client_id
        self.serial = ids.day_serial(day)
        mailings = np.arange(sizes.mailings_per_day)
        self.mailing_ids = ids.mailing_ids(day, mailings)
        self.list_index = (mailings + self.serial) % sizes.lists
        base, extra = divmod(sizes.sends_per_day, sizes.mailings_per_day)
        self.sends = base + (mailings < extra)
        self.first_send = np.cumsum(self.sends) - self.sends
        self.members = (sizes.recipients - self.list_index + sizes.lists - 1) // sizes.lists
        self.offset = hashing.below(self.key(_OFFSET), mailings, self.members)
        self.day_start = (day - date(1970, 1, 1)).days * DAY_SECONDS
        jitter = hashing.below(self.key(_JITTER), mailings, 300)
        self.started = self.day_start + _FIRST_START + mailings * _START_WINDOW // len(mailings) + jitter
        self.duration = np.maximum(60, self.sends // _SENDS_PER_SECOND)
        self.link_ids = ids.link_ids(day, np.arange(len(mailings) * sizes.links_per_mailing))

    def key(self, stream: int, *parts: int) -> int:
        """Hash key of one stream of this client's day."""
        return hashing.stream_key(self.seed, self.client_id, self.serial, stream, *parts)

    def mailings(self) -> list[pa.Array]:
        """Columns of YYYYMMDD_mailings.csv."""
        return [
            pa.array(self.mailing_ids),
            pa.array([ids.campaign_id(self.client_id, int(i)) for i in self.list_index], pa.int64()),
            constant(self.client_id, len(self.mailing_ids)),
            pa.array([ids.list_id(self.client_id, int(i)) for i in self.list_index], pa.int64()),
            timestamps(self.started),
            timestamps(self.started + self.duration),
        ]

    def links(self) -> list[pa.Array]:
        """Columns of YYYYMMDD_links.csv: the open pixel, then clickable links in a seeded order.

        The seed marks links.mailingToUserId a foreign key without saying whose; the sandbox uses
        the mailing's first sending-log entry.
        """
        per_mailing, clickable = self.sizes.links_per_mailing, len(LINK_TEMPLATES) - 1
        mailing = np.repeat(np.arange(len(self.mailing_ids)), per_mailing)
        rotation = hashing.below(self.key(_LINK_ROTATION), np.arange(len(self.mailing_ids)), clickable)
        template = [
            LINK_TEMPLATES[0 if j == 0 else 1 + (j - 1 + int(rotation[m])) % clickable]
            for m in range(len(self.mailing_ids))
            for j in range(per_mailing)
        ]
        urls = [
            f"https://www.example.com/{path}?utm_campaign={self.mailing_ids[m]}&utm_medium=email"
            for m, (_, path) in zip(mailing.tolist(), template)
        ]
        return [
            pa.array(self.link_ids),
            pa.array(self.mailing_ids[mailing]),
            pa.array(ids.mailing_to_user_ids(self.day, self.first_send[mailing])),
            constant(self.client_id, len(mailing)),
            pa.array([name for name, _ in template], pa.string()),
            pa.array(urls, pa.string()),
        ]

    def sends_from(self, start: int, stop: int) -> SendChunk:
        """Sends `start` to `stop - 1` of the day: recipient, time and outcome of each."""
        send = np.arange(start, stop, dtype=np.int64)
        mailing = np.searchsorted(self.first_send, send, side="right") - 1
        position = send - self.first_send[mailing]
        member = (self.offset[mailing] + position) % self.members[mailing]
        recipient = self.list_index[mailing] + self.sizes.lists * member
        fate = names.fates(self.seed, recipient)
        band = np.searchsorted(_BANDS, hashing.uniform(self.key(_STATUS), send), side="right")
        blocked = fate == names.Fate.BLOCKLISTED
        bouncing = fate == names.Fate.HARD_BOUNCING
        return SendChunk(
            send=send,
            mailing=mailing,
            mailing_to_user=ids.mailing_to_user_ids(self.day, send),
            email=names.emails(self.seed, recipient),
            created=self.started[mailing] + position * self.duration[mailing] // self.sends[mailing],
            fate=fate,
            sending=np.where(blocked, _NOT_SENT, _BAND_SENDING[band]),
            delivery=np.select([blocked, bouncing], [0, _HARD], _BAND_DELIVERY[band]),
            category=np.select([blocked, bouncing], [0, _FATAL], _BAND_CATEGORY[band]),
        )
