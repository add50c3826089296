"""The seed's `urlmain`, `hash` and `valuect(hash(urlmain(link)))` rules, with hand-computed values.

Hash values are not copied from the package under test: each is recomputed by a reference
SipHash-2-4 written here from the paper's pseudo-code (Aumasson & Bernstein, 2012), which is itself
checked against the paper's published test vector, and one is qlbridge's own test value.
"""

import pytest

from episerver_assets.defs.activity.urls import hashed_url_counts, url_hash, url_main

_MASK = (1 << 64) - 1


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK


def _sipround(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0 = (v0 + v1) & _MASK
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def _reference_siphash24(key: bytes, message: bytes) -> int:
    """SipHash-2-4 as an unsigned 64-bit integer, straight from the paper."""
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]
    tail = len(message) % 8
    final = bytes(message[len(message) - tail :]) + bytes(7 - tail) + bytes([len(message) & 0xFF])
    blocks = [message[i : i + 8] for i in range(0, len(message) - tail, 8)] + [final]
    for block in blocks:
        m = int.from_bytes(block, "little")
        v[3] ^= m
        for _ in range(2):
            v = list(_sipround(*v))
        v[0] ^= m
    v[2] ^= 0xFF
    for _ in range(4):
        v = list(_sipround(*v))
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _reference_url_hash(text: str) -> int:
    key = (0).to_bytes(8, "little") + (1).to_bytes(8, "little")
    unsigned = _reference_siphash24(key, text.encode("utf-8"))
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def test_reference_siphash_matches_the_papers_test_vector():
    assert _reference_siphash24(bytes(range(16)), bytes(range(15))) == 0xA129CA6149BE45E5


# Pinned once from the reference above (run by test_pinned_hashes_match_the_reference below);
# the first is also qlbridge's own `hash.sip` test value (vm/vm_test.go).
PINNED_HASHES = {
    "http://www.google.com?q=123": 5673948842516703987,
    "www.lytics.io/": 1272651684649158109,
    "a.com/b": -5448837904950627796,
}


def test_pinned_hashes_match_the_reference():
    for text, expected in PINNED_HASHES.items():
        assert _reference_url_hash(text) == expected, text


@pytest.mark.parametrize(
    "text",
    [*PINNED_HASHES, "x", "12345678", "exactly-sixteen!", "bücher.de/ä", "😀/emoji", "a" * 1000],
)
def test_url_hash_equals_the_reference(text):
    assert url_hash(text) == _reference_url_hash(text)


def test_url_hash_pinned_values_and_sign():
    for text, expected in PINNED_HASHES.items():
        assert url_hash(text) == expected
    assert url_hash("a.com/b") < 0  # read as signed 64-bit, as qlbridge's int64(hash)


@pytest.mark.parametrize("empty", ["", None])
def test_url_hash_of_nothing_is_no_value(empty):
    assert url_hash(empty) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.lytics.io/?utm_source=google", "www.lytics.io/"),  # the seed's example
        ("https://www.lytics.io/a/b?x=1#top", "www.lytics.io/a/b"),
        ("http://a.com", "a.com"),  # no path: host only
        ("http://a.com?q=1", "a.com"),
        ("HTTP://WWW.Lytics.IO:8080/A/b", "WWW.Lytics.IO:8080/A/b"),  # case kept, port kept
        ("https://user:secret@h.com/p", "h.com/p"),  # userinfo dropped
        ("http://[2001:db8::1]:8443/x?y", "[2001:db8::1]:8443/x"),  # IPv6 literal keeps brackets
        ("http://a.com:/x", "a.com:/x"),  # an empty port is valid in Go and kept
        ("http://a.com/a%20b%2Fc", "a.com/a b/c"),  # path percent-decoded, as Go's URL.Path
        ("http://bücher.de/ä", "bücher.de/ä"),
        ("www.lytics.io/a?b", "www.lytics.io/a"),  # no "//": no host, all path
        ("//cdn.x.com/a.js", "cdn.x.com/a.js"),  # scheme-relative
        ("http:///p", "/p"),
        ("/only/path?x", "/only/path"),
    ],
)
def test_url_main(url, expected):
    assert url_main(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "http://",  # neither host nor path
        "?only=query",
        "mailto:a@b.com",  # opaque: no host, no path
        "www.lytics.io:80/a",  # Go reads "www.lytics.io" as the scheme: opaque
        ":foo",  # missing protocol scheme
        "a:b/c",  # colon in the first path segment of a relative URL
        "http://[::1",  # unclosed IPv6 bracket
        "http://[::1]x/",  # junk after the bracket
        "http://a.com:port/",  # non-numeric port
        "http://a b.com/",  # space in host
        "http://a.com/\x00",  # control character
        "http://a.com/%zz",  # invalid escape
        "http://a.com/%ff",  # escape that is not UTF-8
    ],
)
def test_url_main_gives_none_for_nothing_or_unparseable(url):
    assert url_main(url) is None


def test_hashed_url_counts_counts_clicks_per_main_url():
    links = [
        "http://www.lytics.io/?utm_source=google",
        "https://www.lytics.io/#pricing",  # same main URL, other scheme and fragment
        "http://a.com/b?x=1",
        None,
        "",
        "mailto:x@y.com",  # no main URL, no hash: skipped
        "http://a.com:port/",  # unparseable: skipped
    ]
    assert hashed_url_counts(links) == {"1272651684649158109": 2, "-5448837904950627796": 1}


def test_hashed_url_counts_of_no_links_is_empty():
    assert hashed_url_counts([]) == {}
    assert hashed_url_counts([None, ""]) == {}
