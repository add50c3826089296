"""Recipients as a pure function of (seed, index), computed for whole index arrays at once.

Names carry what breaks naive CSV and encoding code: umlauts and other non-ASCII letters (Jürgen,
Müller, Øster), apostrophes, quotes and semicolons inside fields (company `"Schmidt; Söhne" GmbH`),
and empty optional fields. E-mail addresses stay plain ASCII and end in `.<index>@...`, so they are
unique and valid for the sandbox state.
"""

from __future__ import annotations

import enum
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import hashing
from .scales import RATES

RECIPIENT_FIELDS = ("email", "salutation", "firstname", "lastname", "company", "city", "zip")
"""Fields of every generated recipient list, in order; the first four are the required ones."""

_FIRST_NAMES = (  # (name, salutation)
    ("Jürgen", "Herr"), ("Jörg", "Herr"), ("Björn", "Herr"), ("Søren", "Herr"), ("François", "Herr"),
    ("Łukasz", "Herr"), ("José", "Herr"), ("Thomas", "Herr"), ("Ömer", "Herr"), ("Jean-Luc", "Herr"),
    ("Zoë", "Frau"), ("Anaïs", "Frau"), ("Bärbel", "Frau"), ("Maria", "Frau"), ("Åsa", "Frau"),
    ("Chloé", "Frau"), ("Renée", "Frau"), ("Ana María", "Frau"), ("Käthe", "Frau"), ("Sophie", "Frau"),
)
_LAST_NAMES = (
    "Müller", "Øster", "Schäfer", "Weiß", "Groß", "Köhler", "O'Connor", "D'Angelo", "Nguyễn",
    "Çelik", "Żak", "Schmidt", "García Márquez", "van der Berg", "Löwenthal", "Ångström", "Becker",
    "Fischer",
)
_COMPANIES = (
    '"Schmidt; Söhne" GmbH', "Müller & Co. KG", 'Bäckerei "Zum Löwen"', "ACME; Inc.", "Øresund A/S",
    "Weiß GmbH", "L'Atelier SARL",
)
_CITIES = ("München", "Köln", "Zürich", "Düsseldorf", "Århus", "Wien", "Berlin", "Genève")
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "post.example.org")
_TRANSLITERATION = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "oe", "å": "aa", "æ": "ae", "ł": "l"}
)

# Streams of the recipient hash (stream_key parts).
_FIRST, _LAST, _COMPANY, _CITY, _DOMAIN, _OPTIONAL, _FATE = range(1, 8)


class Fate(enum.IntEnum):
    """What happens to a recipient, the same in the response files and in the state."""

    NORMAL = 0
    BLOCKLISTED = 1
    HARD_BOUNCING = 2
    UNSUBSCRIBING = 3


_FATE_BY_BAND = np.array(
    [Fate.BLOCKLISTED, Fate.HARD_BOUNCING, Fate.UNSUBSCRIBING, Fate.NORMAL], dtype=np.int8
)


def _ascii_local_part(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.lower().translate(_TRANSLITERATION))
    return "".join(c for c in folded if c.isascii() and c.isalnum())


def _pool(values) -> pa.Array:
    return pa.array(list(values), pa.string())


_FIRST_POOL = _pool(n for n, _ in _FIRST_NAMES)
_FIRST_ASCII = _pool(_ascii_local_part(n) for n, _ in _FIRST_NAMES)
_SALUTATION_POOL = _pool(s for _, s in _FIRST_NAMES)
_LAST_POOL = _pool(_LAST_NAMES)
_LAST_ASCII = _pool(_ascii_local_part(n) for n in _LAST_NAMES)
_COMPANY_POOL = _pool(_COMPANIES)
_CITY_POOL = _pool(_CITIES)
_DOMAIN_POOL = _pool(_DOMAINS)


def _pick(seed: int, stream: int, indices: np.ndarray, pool: pa.Array) -> np.ndarray:
    return hashing.below(hashing.stream_key(seed, stream), indices, len(pool))


def emails(seed: int, indices: np.ndarray) -> pa.Array:
    """E-mail address (the recipient id) of every recipient index."""
    first = _FIRST_ASCII.take(_pick(seed, _FIRST, indices, _FIRST_POOL))
    last = _LAST_ASCII.take(_pick(seed, _LAST, indices, _LAST_POOL))
    domain = _DOMAIN_POOL.take(_pick(seed, _DOMAIN, indices, _DOMAIN_POOL))
    number = pc.cast(pa.array(indices, pa.int64()), pa.string())
    return pc.binary_join_element_wise(first, ".", last, ".", number, "@", domain, "")


def fates(seed: int, indices: np.ndarray) -> np.ndarray:
    """Fate of every recipient index, as Fate values (int8)."""
    u = hashing.uniform(hashing.stream_key(seed, _FATE), indices)
    bounds = np.cumsum([RATES.blocklisted, RATES.hard_bouncing, RATES.unsubscribing])
    return _FATE_BY_BAND[np.searchsorted(bounds, u, side="right")]


def _blank_where(values: pa.Array, blank: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(blank), "", values)


def recipients(seed: int, indices: np.ndarray) -> pa.Table:
    """All attributes (RECIPIENT_FIELDS) of the given recipient indices; empty strings, never nulls."""
    first_index = _pick(seed, _FIRST, indices, _FIRST_POOL)
    optional = hashing.uniform(hashing.stream_key(seed, _OPTIONAL), indices)
    zip_codes = hashing.below(hashing.stream_key(seed, _CITY, 1), indices, 90_000) + 10_000
    columns = {
        "email": emails(seed, indices),
        "salutation": _blank_where(_SALUTATION_POOL.take(first_index), optional < 0.1),
        "firstname": _blank_where(_FIRST_POOL.take(first_index), (optional >= 0.1) & (optional < 0.15)),
        "lastname": _LAST_POOL.take(_pick(seed, _LAST, indices, _LAST_POOL)),
        "company": _blank_where(
            _COMPANY_POOL.take(_pick(seed, _COMPANY, indices, _COMPANY_POOL)), optional >= 0.4
        ),
        "city": _CITY_POOL.take(_pick(seed, _CITY, indices, _CITY_POOL)),
        "zip": _blank_where(pc.cast(pa.array(zip_codes), pa.string()), optional >= 0.9),
    }
    return pa.table(columns)


def recipient(seed: int, index: int) -> dict[str, str]:
    """One recipient's attributes; the same values the batch functions give for this index."""
    return recipients(seed, np.array([index], dtype=np.int64)).to_pylist()[0]
