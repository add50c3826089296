"""Deterministic sandbox data: recipients, lists and the eight daily closed-loop response files.

A seed and a scale always give the same data. Everything is a pure function of (seed, index), so
data is computed in vectorised chunks and streamed: memory stays flat from a few hundred rows
(`small`) to ten million rows a day (`huge`, or `sizes_for_total_rows(10_000_000)`).

- `populate(state, seed, scale)`: lists, recipients, blocklist entries, hard bounces, unsubscribes.
- `write_response_day(directory, day, seed, scale, client_id)`: one day's eight CSV files.
- `expire_old_files(directory, today, days=30)`: remove dated files older than `days`.
- `recipient(seed, index)`: one recipient's attributes, as `populate` stores them.
- `source_mailings(client)`: broadmail_ID -> list id of the generated source mailings.
- `SCALES`, `Sizes`, `sizes_for_total_rows(n)`: how much data.

Choices the seed leaves open: mailingGroupId is the client id; `links.mailingToUserId` is the
mailing's first sending-log entry; `responses.created` is the send time (the seed calls it "sending
date and time"); opens point to the mailing's first link, its open pixel. A recipient's fate is fixed
by (seed, index): a blocklisted one is `could_not_be_sent`, a hard-bouncing one `HARD`/`fatal_bounce`
and an unsubscribing one leaves an unsubscribe row every time a mailing reaches them; `populate`
puts exactly these addresses on the blocklist, the bounce list and the unsubscribe list.
"""

from .names import RECIPIENT_FIELDS, Fate, recipient
from .populate import Population, populate, source_mailings
from .response_files import (
    RESPONSE_FILE_COLUMNS,
    WrittenFile,
    expire_old_files,
    response_file_name,
    write_response_day,
)
from .scales import RATES, SCALES, Rates, Sizes, expected_rows_per_send, sizes_for_total_rows

__all__ = [
    "RATES",
    "RECIPIENT_FIELDS",
    "RESPONSE_FILE_COLUMNS",
    "SCALES",
    "Fate",
    "Population",
    "Rates",
    "Sizes",
    "WrittenFile",
    "expected_rows_per_send",
    "expire_old_files",
    "populate",
    "recipient",
    "response_file_name",
    "sizes_for_total_rows",
    "source_mailings",
    "write_response_day",
]
