"""Read an rpc/encoded SOAP 1.1 request the way Axis 1.4 does.

- The first Body entry that is not ``soapenc:root="0"`` is the call; its local name is the operation.
- Arguments match a parameter by name (``in0``... or the Java name, in any order); an argument whose
  name matches nothing takes the parameter at its own position.
- ``href="#id"`` references are followed to the Body's ``multiRef`` (or any element with that id).
- Arrays: the children of the argument, whatever their names (``element``, ``item``, ...), with or
  without ``soapenc:arrayType``; ``string[][]`` is an array of such arrays.
- ``xsi:nil="true"`` is null (an empty list for arrays).

The parser never loads DTDs, entities or schemas, so a request cannot make the sandbox reach out.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .faults import bad_request
from .operations import Param

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAPENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, remove_pis=True
)
_MISSING = object()


@dataclass
class RpcRequest:
    operation: str
    arguments: list[etree._Element]
    references: dict[str, etree._Element]


def parse_request(body: bytes) -> RpcRequest:
    try:
        envelope = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise bad_request(f"org.xml.sax.SAXParseException: {error}") from None
    soap_body = envelope.find(f"{{{SOAPENV}}}Body")
    if envelope.tag != f"{{{SOAPENV}}}Envelope" or soap_body is None:
        raise bad_request("org.xml.sax.SAXException: not a SOAP 1.1 envelope with a Body")
    entries = _elements(soap_body)
    calls = [e for e in entries if e.get(f"{{{SOAPENC}}}root") != "0"]
    if not calls:
        raise bad_request("org.xml.sax.SAXException: the SOAP Body holds no call")
    references = {e.get("id"): e for e in soap_body.iter() if isinstance(e.tag, str) and e.get("id")}
    call = calls[0]
    return RpcRequest(etree.QName(call).localname, _elements(call), references)


def bind_arguments(operation: str, params: tuple[Param, ...], request: RpcRequest) -> list:
    """The call's arguments in parameter order, each converted to its parameter's type."""
    slots = {}
    for index, param in enumerate(params):
        for name in (f"in{index}", param.name, *param.aliases):
            slots[name] = index
    values: list = [_MISSING] * len(params)
    for position, argument in enumerate(request.arguments):
        index = slots.get(etree.QName(argument).localname, position)
        if index >= len(params):
            raise _wrong_arguments(operation, params, f"got {len(request.arguments)} arguments")
        if values[index] is not _MISSING:
            raise _wrong_arguments(operation, params, f"{params[index].name} given twice")
        values[index] = _decode(argument, params[index].type, request.references)
    missing = [p.name for p, v in zip(params, values, strict=True) if v is _MISSING]
    if missing:
        raise _wrong_arguments(operation, params, f"missing {', '.join(missing)}")
    return values


def _wrong_arguments(operation: str, params: tuple[Param, ...], problem: str):
    expected = ", ".join(f"{p.name} ({p.type})" for p in params)
    return bad_request(
        f"java.lang.IllegalArgumentException: wrong number of arguments for {operation}({expected}): {problem}"
    )


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _follow(element: etree._Element, references: dict[str, etree._Element]) -> etree._Element:
    seen = set()
    while (href := element.get("href")) is not None:
        target = references.get(href.removeprefix("#"))
        if target is None or href in seen:
            raise bad_request(f"org.xml.sax.SAXException: unresolved or circular reference {href!r}")
        seen.add(href)
        element = target
    return element


def _decode(element: etree._Element, type_: str, references: dict[str, etree._Element]):
    element = _follow(element, references)
    is_nil = element.get(f"{{{XSI}}}nil") in ("true", "1")
    if type_.endswith("[]"):
        if is_nil:
            return []
        item_type = type_[:-2]
        return [_decode(child, item_type, references) for child in _elements(element)]
    if is_nil:
        return None
    return _scalar("".join(element.itertext()), type_)


def _scalar(text: str, type_: str):
    if type_ == "string":
        return text
    if type_ in ("int", "long"):
        try:
            return int(text.strip())
        except ValueError:
            raise bad_request(f'java.lang.NumberFormatException: For input string: "{text}"') from None
    if type_ == "boolean":
        value = text.strip().lower()
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        raise bad_request(f'org.xml.sax.SAXException: "{text}" is not a boolean')
    raise AssertionError(f"unknown parameter type {type_}")
