"""SOAP-encoding (rpc/encoded) values: array arguments on the way out, plain Python on the way in.

zeep cannot serialise the WSDLs' `soapenc:Array` parameters: depending on the value it renders an
empty element or rejects it, and a `String[][]` is beyond it entirely. So the caller lets zeep render
a nil placeholder for every array part and `place_arrays` swaps in an element built here, typed as
SOAP 1.1 section 5 describes (`xsi:type="soapenc:Array"`, `soapenc:arrayType="xsd:string[3]"`) with one
child named `element` per item, the shape of the recorded requests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lxml import etree
from zeep.xsd.valueobjects import CompoundValue

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC_NS = "http://schemas.xmlsoap.org/soap/encoding/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_NSMAP = {"soapenc": SOAP_ENC_NS, "xsi": XSI_NS, "xsd": XSD_NS}

Scalar = str | int | bool | None


@dataclass(frozen=True)
class SoapArray:
    """An array argument: `item_type` is the arrayType prefix (`xsd:string`, `xsd:long`, `xsd:string[]`)."""

    item_type: str
    items: tuple[Scalar | SoapArray, ...]

    @property
    def array_type(self) -> str:
        return f"{self.item_type}[{len(self.items)}]"


def wire_text(value: object) -> str | None:
    """The text a value travels as; None (and NaN, as pandas spells a missing value) becomes nil."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def string_array(values: Iterable[object]) -> SoapArray:
    return SoapArray("xsd:string", tuple(wire_text(v) for v in values))


def long_array(values: Iterable[int]) -> SoapArray:
    return SoapArray("xsd:long", tuple(int(v) for v in values))


def string_matrix(rows: Iterable[Iterable[object]]) -> SoapArray:
    """A `String[][]`: an array whose items are string arrays (one per row)."""
    return SoapArray("xsd:string[]", tuple(string_array(row) for row in rows))


def render_array(tag: str, array: SoapArray) -> etree._Element:
    node = etree.Element(tag, nsmap=_NSMAP)
    _fill(node, array)
    return node


def _fill(node: etree._Element, array: SoapArray) -> None:
    node.set(f"{{{XSI_NS}}}type", "soapenc:Array")
    node.set(f"{{{SOAP_ENC_NS}}}arrayType", array.array_type)
    for item in array.items:
        child = etree.SubElement(node, "element")
        if isinstance(item, SoapArray):
            _fill(child, item)
        elif item is None:
            child.set(f"{{{XSI_NS}}}nil", "true")
        else:
            # lxml escapes &, < and > and rejects characters XML 1.0 cannot carry (ValueError).
            child.text = wire_text(item)


def place_arrays(envelope: etree._Element, arrays: Mapping[int, SoapArray]) -> None:
    """Replace the nil placeholders `in<N>` of the rpc body with the rendered arrays."""
    operation = envelope.find(f"{{{SOAP_ENV_NS}}}Body")[0]
    for index, array in arrays.items():
        placeholder = operation.find(f"in{index}")
        if placeholder is None:
            raise LookupError(f"{etree.QName(operation).localname} has no parameter in{index}")
        operation.replace(placeholder, render_array(placeholder.tag, array))


def plain(value: object) -> object:
    """zeep's reply objects as plain Python: lists stay lists, `soapenc:string` wrappers unwrap."""
    if isinstance(value, CompoundValue):
        if "_value_1" in value:
            return plain(value["_value_1"])
        return {key: plain(value[key]) for key in value}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def chunk_rows(flat: Sequence[object], width: int) -> list[list[object]]:
    """Cut a flat reply (getAllFlat) into rows of `width` values."""
    if width <= 0:
        raise ValueError("row width must be positive")
    if len(flat) % width:
        raise ValueError(f"{len(flat)} values do not split into rows of {width}")
    return [list(flat[i : i + width]) for i in range(0, len(flat), width)]
