"""addAll3 in batches: the per-recipient return codes, named and counted.

Campaign answers every `addAll3` call with one code per recipient, in the order sent. Only code 0
means the recipient is in the list now; the others say why not, and the CRM refresh needs to know
which recipients each reason hit.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice

from ..errors import CampaignError
from .encoding import SoapArray, string_array, string_matrix, wire_text

logger = logging.getLogger(__name__)


class AddAll3Code(enum.IntEnum):
    """What `addAll3` (and `add2`) did with one recipient."""

    ADDED = 0
    INVALID_ADDRESS = 1
    UNSUBSCRIBED = 2
    BLOCKLISTED = 3
    TOO_MANY_BOUNCES = 4
    ALREADY_IN_LIST = 5
    FILTERED = 6
    OTHER_ERROR = 7

    @classmethod
    def from_wire(cls, value: object) -> AddAll3Code:
        """Codes this client does not know count as OTHER_ERROR, with a warning."""
        try:
            return cls(int(value))
        except (TypeError, ValueError):
            logger.warning("addAll3 returned unknown code %r; counting it as OTHER_ERROR", value)
            return cls.OTHER_ERROR


@dataclass(frozen=True)
class RecipientRecord:
    """One recipient to add: its id in the list, its e-mail address and its attribute values by name."""

    recipient_id: str
    address: str
    attributes: Mapping[str, object] = field(default_factory=dict)


@dataclass
class AddAll3Summary:
    """Counts per code over all batches, and the recipient ids of every code other than ADDED."""

    counts: dict[AddAll3Code, int] = field(default_factory=lambda: {code: 0 for code in AddAll3Code})
    recipient_ids: dict[AddAll3Code, list[str]] = field(
        default_factory=lambda: {code: [] for code in AddAll3Code if code is not AddAll3Code.ADDED}
    )
    batches: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def added(self) -> int:
        return self.counts[AddAll3Code.ADDED]

    @property
    def rejected(self) -> int:
        return self.total - self.added

    def record(self, recipient_ids: Sequence[str], codes: Sequence[object]) -> None:
        if len(codes) != len(recipient_ids):
            raise CampaignError(
                f"addAll3 returned {len(codes)} codes for a batch of {len(recipient_ids)} recipients"
            )
        self.batches += 1
        named = [AddAll3Code.from_wire(code) for code in codes]
        for code, count in Counter(named).items():
            self.counts[code] += count
        for recipient_id, code in zip(recipient_ids, named):
            if code is not AddAll3Code.ADDED:
                self.recipient_ids[code].append(recipient_id)


@dataclass(frozen=True)
class AddAll3Batch:
    """The array arguments of one addAll3 call."""

    recipient_ids: list[str]
    arguments: tuple[SoapArray, SoapArray, SoapArray, SoapArray]


def batches(
    recipients: Iterable[RecipientRecord], attribute_names: Sequence[str], size: int
) -> Iterator[AddAll3Batch]:
    """Cut the recipients into batches of `size` and build each batch's four arrays."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    names = list(attribute_names)
    iterator = iter(recipients)
    while chunk := list(islice(iterator, size)):
        ids = [str(r.recipient_id) for r in chunk]
        rows = [[r.attributes.get(name) for name in names] for r in chunk]
        for record, row in zip(chunk, rows):
            _check_xml_safe(record, names, row)
        addresses = string_array(r.address for r in chunk)
        yield AddAll3Batch(ids, (string_array(ids), addresses, string_array(names), string_matrix(rows)))


def _check_xml_safe(record: RecipientRecord, names: Sequence[str], row: Sequence[object]) -> None:
    """Fail before sending when a value holds characters XML 1.0 cannot carry (e.g. NUL)."""
    for label, value in [("recipient id", record.recipient_id), ("address", record.address), *zip(names, row)]:
        text = wire_text(value)
        if text is not None and any(_forbidden(ch) for ch in text):
            raise CampaignError(
                f"recipient {record.recipient_id!r}: {label} contains a character XML 1.0 cannot carry"
            )


def _forbidden(ch: str) -> bool:
    code = ord(ch)
    return (code < 0x20 and ch not in "\t\n\r") or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)
