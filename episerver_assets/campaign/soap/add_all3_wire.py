"""addAll3 on the wire without zeep: the envelope built as text, the reply's codes read with lxml.

zeep renders and parses one addAll3 batch of 1,000 recipients in tens of milliseconds, more than the
sandbox takes to store it. The envelope here is byte for byte what zeep and lxml produce (the same
elements, namespace declarations and escaping: `&`, `<`, `>` as entities, CR as `&#13;`, everything
else as UTF-8), so the server sees no difference; the tests compare the two. A value holding a
character XML 1.0 cannot carry is refused naming the recipient and the column, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree

from ..errors import CampaignError, mask_addresses
from .caller import PreparedCall
from .encoding import SOAP_ENC_NS, SOAP_ENV_NS, XSD_NS, XSI_NS, wire_text

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPECIAL = re.compile("[&<>\r]")
_ATTENTION = re.compile(f"{_FORBIDDEN.pattern}|{_SPECIAL.pattern}")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_DECLARE = f'xmlns:soapenc="{SOAP_ENC_NS}" xmlns:xsi="{XSI_NS}" xmlns:xsd="{XSD_NS}"'
_NIL = '<element xsi:nil="true"/>'
_NIL_MARK = "\x00"
"""Stands for a nil value while the envelope is built: never in a value that passed `_refuse_unsendable`."""
_REPLY_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_MULTIREF = "multiRef"


def _array(tag: str, item_type: str, count: int, items: str, declare: bool) -> str:
    """A soapenc array element; lxml writes one without items as an empty element tag."""
    namespaces = f" {_DECLARE}" if declare else ""
    opening = f'<{tag}{namespaces} xsi:type="soapenc:Array" soapenc:arrayType="{item_type}[{count}]"'
    return f"{opening}>{items}</{tag}>" if count else f"{opening}/>"


def escape(text: str) -> str:
    """Element text as lxml serialises it."""
    return text.translate(_ESCAPES) if _SPECIAL.search(text) else text


@dataclass(frozen=True)
class Column:
    """One column of a batch: its name for error messages and its values, one per recipient."""

    label: str
    values: Sequence[object]


class UnsendableValue(CampaignError):
    """A value holds a character XML 1.0 cannot carry; `row` counts from 1 over all recipients sent."""

    def __init__(self, message: str, row: int | None):
        super().__init__(message)
        self.row = row


def _texts(column: Column) -> tuple[list[str | None], str]:
    """The column's wire texts, and all of them joined (one regex search finds a character in any)."""
    texts = [v if v.__class__ is str else str(v) if v.__class__ is int else wire_text(v) for v in column.values]
    return texts, "".join(filter(None, texts))


def _refuse_unsendable(column: Column, texts: Sequence[str | None], joined: str, row_name: Callable[[int], str],
                       first_row: int | None) -> None:
    if not _FORBIDDEN.search(joined):
        return
    for index, text in enumerate(texts):
        found = _FORBIDDEN.search(text) if text is not None else None
        if found:
            raise UnsendableValue(f"{row_name(index)}: {column.label} contains U+{ord(found.group()):04X}, "
                                  "a character XML 1.0 cannot carry", None if first_row is None else first_row + index)


def _wire_texts(column: Column, row_name: Callable[[int], str], first_row: int | None = None) -> list[str]:
    """The column's escaped texts, None as _NIL_MARK; refuses characters XML 1.0 cannot carry."""
    texts, joined = _texts(column)
    if _ATTENTION.search(joined):  # mostly not: one search instead of two
        _refuse_unsendable(column, texts, joined, row_name, first_row)
        if _SPECIAL.search(joined):
            texts = [t if t is None else t.translate(_ESCAPES) for t in texts]
    if None in texts:
        texts = [_NIL_MARK if t is None else t for t in texts]
    return texts


def _elements(texts: Sequence[str]) -> str:
    return f"<element>{'</element><element>'.join(texts)}</element>" if texts else ""


def _row_namer(recipient_ids: Sequence[object], first_row: int) -> Callable[[int], str]:
    def row_name(index: int) -> str:  # recipient ids are often addresses: those are masked
        return f"row {first_row + index} (recipient {mask_addresses(repr(str(recipient_ids[index])))})"

    return row_name


def refuse_unsendable(recipient_ids: Sequence[object], addresses: Sequence[object], attributes: Sequence[Column],
                      first_row: int = 1) -> None:
    """Raise UnsendableValue for the first value XML 1.0 cannot carry (what `build_envelope` would refuse)."""
    row_name = _row_namer(recipient_ids, first_row)
    for column in [Column("recipient id", recipient_ids), Column("address", addresses), *attributes]:
        _refuse_unsendable(column, *_texts(column), row_name, first_row)


@dataclass(frozen=True)
class AddAll3Envelope(PreparedCall):
    """One addAll3 call rendered except for the session id, which is known only when it is sent."""

    head: bytes
    tail: bytes
    size: int

    def render(self, session_id: str) -> bytes:
        return self.head + escape(session_id).encode() + self.tail

    def parse(self, content: bytes) -> list[int | str | None] | None:
        return parse_codes(content)


def build_envelope(list_id: int, optin_process_id: int, recipient_ids: Sequence[object],
                   addresses: Sequence[object], attributes: Sequence[Column], first_row: int = 1) -> AddAll3Envelope:
    """The addAll3 request for one batch; `attributes` in the order of the attribute names sent.
    `first_row` numbers the batch's first recipient among all sent, for error messages."""
    count = len(recipient_ids)
    if len(addresses) != count or any(len(c.values) != count for c in attributes):
        raise ValueError("every column needs one value per recipient")

    recipient = _row_namer(recipient_ids, first_row)
    labels = [c.label for c in attributes]
    ids = _wire_texts(Column("recipient id", recipient_ids), recipient, first_row)
    mail = _wire_texts(Column("address", addresses), recipient, first_row)
    names = _wire_texts(Column("its name", labels), lambda index: f"attribute {index + 1}")
    columns = [_wire_texts(c, recipient, first_row) for c in attributes]
    # One format call per row: the template's braces are its own, the values are only arguments.
    row = _array("element", "xsd:string", len(columns), "<element>{}</element>" * len(columns), declare=False)
    rows = "".join(map(row.format, *columns)) if columns else row * count
    head = ("<?xml version='1.0' encoding='utf-8'?>\n"
            f'<soap-env:Envelope xmlns:soap-env="{SOAP_ENV_NS}"><soap-env:Body>'
            '<ns0:addAll3 xmlns:ns0="urn:api.broadmail.de/soap11/RpcRecipient"><in0>')
    tail = "".join([
        f"</in0><in1>{int(list_id)}</in1><in2>{int(optin_process_id)}</in2>",
        _array("in3", "xsd:string", count, _elements(ids), declare=True),
        _array("in4", "xsd:string", count, _elements(mail), declare=True),
        _array("in5", "xsd:string", len(names), _elements(names), declare=True),
        _array("in6", "xsd:string[]", count, rows, declare=True),
        "</ns0:addAll3></soap-env:Body></soap-env:Envelope>",
    ])
    if _NIL_MARK in tail:
        tail = tail.replace(f"<element>{_NIL_MARK}</element>", _NIL)
    return AddAll3Envelope(head.encode(), tail.encode(), count)


def _number(text: str | None) -> int | str | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return text


def parse_codes(content: bytes) -> list[int | str | None] | None:
    """The codes of a 200 addAll3 reply (inline items or Axis `multiRef`s); None when the reply is
    anything else (a fault, another shape), so the caller's general parser judges it as before."""
    try:
        root = etree.fromstring(content, _REPLY_PARSER)
    except etree.XMLSyntaxError:
        return None
    body = root.find(f"{{{SOAP_ENV_NS}}}Body")
    if body is None or len(body) == 0 or etree.QName(body[0]).localname != "addAll3Response":
        return None
    response = body[0]
    if len(response) != 1:
        return None
    refs = {m.get("id"): m.text for m in body.iterchildren(_MULTIREF)}
    codes = []
    for item in response[0]:
        href = item.get("href")
        if href is None:
            codes.append(_number(item.text))
        elif href.startswith("#") and href[1:] in refs:
            codes.append(_number(refs[href[1:]]))
        else:
            return None
    return codes
