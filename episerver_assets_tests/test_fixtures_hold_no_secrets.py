"""No recorded fixture carries the password of the public recordings (only its hash is kept here)."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
# SHA-256 of the API password that appeared in the public SOAP recordings' login requests.
RECORDED_PASSWORD_SHA256 = "887545ab501533e3a19a17e2b6516a565d0c728ec0ec74c3b0439ceabd15a38b"
_ELEMENT_TEXT = re.compile(r">([^<]*)<")


def _candidates(text: str) -> set[str]:
    """Every element's text, unescaped, and every whitespace-separated word, as they might hold a password."""
    texts = {html.unescape(t).strip() for t in _ELEMENT_TEXT.findall(text)}
    words = {html.unescape(w) for w in text.split()}
    return texts | words


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def test_the_recorded_password_is_in_no_fixture():
    files = [p for p in FIXTURES.rglob("*") if p.is_file()]
    assert len(files) > 50
    leaking = [p.relative_to(FIXTURES).as_posix() for p in files if RECORDED_PASSWORD_SHA256 in
               map(_sha256, _candidates(p.read_text(encoding="utf-8", errors="replace")))]
    assert leaking == []


def test_the_scan_finds_a_password_in_a_login_request():
    login = '<impl:login><user>u</user><password>secret&amp;1</password></impl:login>'
    assert _sha256("secret&1") in map(_sha256, _candidates(login))


def test_login_requests_keep_a_placeholder_where_the_password_was():
    logins = sorted((FIXTURES / "soap_recorded").glob("*_RpcSession_login.request.xml"))
    assert logins and all("<password><FILTERED></password>" in p.read_text(encoding="utf-8") for p in logins)
