"""The seed's URL functions `urlmain`, `hash` and `valuect(hash(urlmain(link)))`, event by event.

Follows the open-source LQL engine the seed's vendor uses (github lytics/qlbridge, `vm/builtins`):

- `urlmain(url)` is Go's `url.Parse(url)` followed by `Host + Path`. So the scheme, the userinfo,
  the query and the fragment are dropped; the host keeps its case, its port and the brackets of an
  IPv6 literal; the path is percent-decoded (Go's `Path`, not `RawPath`); a URL without a path
  gives the host alone; a URL without `//` (e.g. `www.lytics.io/a`) has no host, so it is all path;
  an opaque URL (`mailto:x@y`) gives nothing. A value Go refuses (a control character, a missing
  scheme before `:`, a bad port, an unclosed `[`, an invalid `%` escape) gives None, never an error.
  Our one deviation: where LQL would return an empty string we return None, and so do hosts with
  `%` escapes and paths whose escapes are not UTF-8 (both rare; refused rather than guessed), and
  the fragment is dropped without checking its escapes.
- `hash(s)` is `hash.sip`: dchest/siphash `Hash(0, 1, []byte(s))` read as `int64`, i.e. SipHash-2-4
  with k0 = 0 and k1 = 1; an empty string gives no value.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from urllib.parse import unquote_to_bytes

from siphash24 import siphash24

# k0 = 0 and k1 = 1 as two little-endian 64-bit words, as dchest/siphash.Hash(0, 1, ...) takes them.
_SIPHASH_KEY = (0).to_bytes(8, "little") + (1).to_bytes(8, "little")

_CONTROL_CHAR = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Characters Go's url.Parse refuses in a host name (its shouldEscape in host mode, ASCII only).
_BAD_HOST_CHAR = re.compile(r"[\s/?#@%{}|\\^`]")
_PORT = re.compile(r"(?::[0-9]*)?")


def url_main(url: str | None) -> str | None:
    """Host (with port) followed by path, without scheme, userinfo, query or fragment."""
    if not url or _CONTROL_CHAR.search(url):
        return None
    rest = url.split("#", 1)[0]
    scheme = _SCHEME.match(rest)
    if scheme:
        rest = rest[scheme.end() :]
    elif ":" in rest.split("/", 1)[0].split("?", 1)[0]:
        return None  # Go: "missing protocol scheme" or "first path segment cannot contain colon"
    rest = rest.split("?", 1)[0]
    if scheme and not rest.startswith("/"):
        return None  # opaque URL such as mailto:, no host and no path
    host = ""
    if rest.startswith("//") and (scheme or not rest.startswith("///")):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        host = _host(authority.rpartition("@")[2])
        if host is None:
            return None
    path = _unescaped_path(rest)
    if path is None:
        return None
    return (host + path) or None


def _host(host: str) -> str | None:
    """The host as Go keeps it, or None where Go's parseHost refuses it."""
    if host.startswith("["):
        literal, bracket, port = host.partition("]")
        valid = bracket and not _BAD_HOST_CHAR.search(literal) and _PORT.fullmatch(port)
        return host if valid else None
    colon = host.rfind(":")
    name, port = (host, "") if colon < 0 else (host[:colon], host[colon:])
    if _BAD_HOST_CHAR.search(name) or not _PORT.fullmatch(port):
        return None
    return host


def _unescaped_path(path: str) -> str | None:
    if _BAD_ESCAPE.search(path):
        return None
    try:
        return unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        return None


def url_hash(text: str | None) -> int | None:
    """SipHash-2-4 (k0 = 0, k1 = 1) of the UTF-8 bytes as a signed 64-bit integer; empty gives None."""
    if not text:
        return None
    unsigned = siphash24(text.encode("utf-8"), key=_SIPHASH_KEY).intdigest()
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def hashed_url_counts(links: Iterable[str | None]) -> dict[str, int]:
    """`valuect(hash(urlmain(link)))`: clicks per hashed main URL, keyed by the hash in decimal."""
    hashes = (url_hash(url_main(link)) for link in links if link)
    return dict(Counter(str(h) for h in hashes if h is not None))
