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
from .add_all3_wire import AddAll3Envelope, Column, build_envelope, refuse_unsendable

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
        # Named once per distinct wire value, not per recipient: a batch holds a thousand zeros.
        named = {value: AddAll3Code.from_wire(value) for value in set(codes)}
        for value, count in Counter(codes).items():
            self.counts[named[value]] += count
        if any(code is not AddAll3Code.ADDED for code in named.values()):
            for recipient_id, value in zip(recipient_ids, codes):
                code = named[value]
                if code is not AddAll3Code.ADDED:
                    self.recipient_ids[code].append(recipient_id)


@dataclass(frozen=True)
class RecipientColumns:
    """Recipients as columns, the shape a warehouse query returns: one value per recipient in each."""

    recipient_ids: Sequence[str]
    addresses: Sequence[str]
    attributes: Mapping[str, Sequence[object]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.recipient_ids)


@dataclass(frozen=True)
class AddAll3Batch:
    """One addAll3 call: the recipient ids it sends, in order, and its envelope."""

    recipient_ids: Sequence[str]
    envelope: AddAll3Envelope


def _chunks(recipients: Iterable[RecipientRecord] | RecipientColumns, names: Sequence[str],
            size: int) -> Iterator[tuple[Sequence[str], Sequence[str], list[Column]]]:
    if isinstance(recipients, RecipientColumns):
        missing = [None] * len(recipients)
        for start in range(0, len(recipients), size):
            end = start + size
            columns = [Column(n, recipients.attributes.get(n, missing)[start:end]) for n in names]
            yield recipients.recipient_ids[start:end], recipients.addresses[start:end], columns
        return
    iterator = iter(recipients)
    while chunk := list(islice(iterator, size)):
        columns = [Column(n, [r.attributes.get(n) for r in chunk]) for n in names]
        yield [str(r.recipient_id) for r in chunk], [r.address for r in chunk], columns


def batches(recipients: Iterable[RecipientRecord] | RecipientColumns, attribute_names: Sequence[str], size: int,
            list_id: int, optin_process_id: int = 0) -> Iterator[AddAll3Batch]:
    """Cut the recipients into batches of `size` and render each batch's envelope (refusing values
    XML cannot carry before anything is sent)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    first_row = 1
    for ids, addresses, columns in _chunks(recipients, list(attribute_names), size):
        yield AddAll3Batch(ids, build_envelope(list_id, optin_process_id, ids, addresses, columns, first_row))
        first_row += len(ids)


def check_sendable(recipients: Iterable[RecipientRecord] | RecipientColumns, attribute_names: Sequence[str]) -> None:
    """Raise UnsendableValue (naming row and column) for a value XML 1.0 cannot carry, before anything
    is sent: a refresh must find it before `clear`, not half-way through the batches."""
    first_row = 1
    for ids, addresses, columns in _chunks(recipients, list(attribute_names), 10_000):
        refuse_unsendable(ids, addresses, columns, first_row)
        first_row += len(ids)
