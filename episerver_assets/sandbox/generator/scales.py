"""Sizes of generated data, named scales, and the rates that turn sends into events.

One day's files hold, per send, one sending-log row plus the events that send caused, so a day's
row count is `sends_per_day * expected_rows_per_send()` plus mailings and links. `sizes_for_total_rows`
inverts that for the benchmark ("one day of ~10 million rows").
"""

from __future__ import annotations

from dataclasses import dataclass

# Id strides (see ids.py): lists per client, and objects per day; beyond these, ids would overlap.
MAX_LISTS = 1_000
MAX_MAILINGS_PER_DAY = 1_000
MAX_LINKS_PER_DAY = 100_000
MAX_SENDS_PER_DAY = 10_000_000


@dataclass(frozen=True)
class Rates:
    """Probabilities behind every generated event; fixed so that a seed and a scale fix the data."""

    # A recipient's fate is fixed by (seed, recipient index) and matches the sandbox state.
    blocklisted: float = 0.01  # never delivered: sendingStatus could_not_be_sent
    hard_bouncing: float = 0.015  # every send: HARD / fatal_bounce; in state.bounces
    unsubscribing: float = 0.02  # every delivered send: an unsubscribe row; in state.unsubscribes
    # Per send, for recipients without a fate above.
    still_sending: float = 0.002
    soft_bounce: float = 0.02
    autoresponder: float = 0.01
    unknown_reply: float = 0.005
    # Per delivered (OK) send.
    opened: float = 0.35
    opens_per_opener: tuple[float, ...] = (0.6, 0.25, 0.1, 0.05)  # P(1 open), P(2 opens), ...
    clicked_given_opened: float = 0.3
    clicks_per_clicker: tuple[float, ...] = (0.7, 0.2, 0.1)
    automated_open: float = 0.12


RATES = Rates()


def _mean_count(probabilities: tuple[float, ...]) -> float:
    return sum((n + 1) * p for n, p in enumerate(probabilities))


def expected_rows_per_send(rates: Rates = RATES) -> float:
    """Expected rows across mailingrecipients, opens, clicks, automated_opens, unsubscribes, responses."""
    normal = 1.0 - rates.blocklisted - rates.hard_bouncing
    delivered_share = 1.0 - rates.still_sending - rates.soft_bounce
    delivered = normal * delivered_share
    responses = rates.hard_bouncing + normal * (rates.soft_bounce + rates.autoresponder + rates.unknown_reply)
    opens = delivered * rates.opened * _mean_count(rates.opens_per_opener)
    clicks = delivered * rates.opened * rates.clicked_given_opened * _mean_count(rates.clicks_per_clicker)
    automated = delivered * rates.automated_open
    unsubscribes = rates.unsubscribing * delivered_share
    return 1.0 + responses + opens + clicks + automated + unsubscribes


@dataclass(frozen=True)
class Sizes:
    """How much data a seed produces: the recipient base and one day's sending volume."""

    recipients: int
    lists: int
    mailings_per_day: int
    sends_per_day: int
    links_per_mailing: int = 6

    def __post_init__(self) -> None:
        if min(self.recipients, self.lists, self.mailings_per_day, self.sends_per_day) < 1:
            raise ValueError(f"all sizes must be positive: {self}")
        if self.links_per_mailing < 2:
            raise ValueError("links_per_mailing must be >= 2 (one open pixel plus clickable links)")
        if self.sends_per_day < self.mailings_per_day:
            raise ValueError("every mailing needs at least one send: sends_per_day >= mailings_per_day")
        if self.lists > MAX_LISTS:
            raise ValueError(f"lists must be <= {MAX_LISTS}")
        if self.lists > self.recipients:
            raise ValueError(f"{self.lists} lists need at least as many recipients")
        if self.mailings_per_day > MAX_MAILINGS_PER_DAY:
            raise ValueError(f"mailings_per_day must be <= {MAX_MAILINGS_PER_DAY}")
        if self.mailings_per_day * self.links_per_mailing > MAX_LINKS_PER_DAY:
            raise ValueError(f"mailings_per_day * links_per_mailing must be <= {MAX_LINKS_PER_DAY}")
        if self.sends_per_day > MAX_SENDS_PER_DAY:
            raise ValueError(f"sends_per_day must be <= {MAX_SENDS_PER_DAY}")
        smallest_list = self.recipients // self.lists
        largest_mailing = -(-self.sends_per_day // self.mailings_per_day)
        if largest_mailing > smallest_list:
            raise ValueError(
                f"a mailing sends {largest_mailing} mails but a list has only {smallest_list} recipients;"
                " raise recipients or mailings_per_day"
            )

    @property
    def expected_rows_per_day(self) -> int:
        fixed = self.mailings_per_day * (1 + self.links_per_mailing)
        return fixed + round(self.sends_per_day * expected_rows_per_send())


SCALES: dict[str, Sizes] = {
    "small": Sizes(recipients=400, lists=2, mailings_per_day=3, sends_per_day=300, links_per_mailing=4),
    "medium": Sizes(recipients=20_000, lists=4, mailings_per_day=8, sends_per_day=12_000),
    "large": Sizes(recipients=500_000, lists=8, mailings_per_day=24, sends_per_day=400_000),
    "huge": Sizes(recipients=6_000_000, lists=12, mailings_per_day=48, sends_per_day=5_380_000),
}
"""Named scales: small for unit tests (hundreds of rows a day), huge for benchmarks (~10M rows a day)."""


def sizes_for_total_rows(total_rows: int) -> Sizes:
    """Sizes whose one day of eight files holds about `total_rows` rows (within a few percent)."""
    if total_rows < 50:
        raise ValueError("total_rows must be at least 50")
    per_send = expected_rows_per_send()
    mailings = min(MAX_MAILINGS_PER_DAY, max(1, round(total_rows / per_send / 100_000)))
    links = 6
    sends = max(1, round((total_rows - mailings * (1 + links)) / per_send))
    lists = min(12, mailings)
    recipients = max(sends + sends // 4, lists)
    return Sizes(recipients, lists, mailings, sends, links)


def resolve_sizes(scale: str | Sizes) -> Sizes:
    if isinstance(scale, Sizes):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; known: {', '.join(SCALES)}") from None
