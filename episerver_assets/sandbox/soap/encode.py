"""Write responses and faults byte for byte in the shape of the recorded Axis 1.4 answers.

- ``<ns1:{op}Response soapenv:encodingStyle=... xmlns:ns1="urn:api.broadmail.de/soap11/{service}">``,
  empty for void operations.
- A string return is inline: ``<{op}Return xsi:type="soapenc:string" xmlns:soapenc=...>``.
- int, long and boolean values (also inside arrays) are ``href="#idN"`` references to ``multiRef``
  elements after the Response element, as Axis does for boxed Java values.
- Arrays are ``soapenc:Array`` with ``soapenc:arrayType="soapenc:string[n]"`` / ``"xsd:long[n]"``,
  their items named like the return element.
- Non-ASCII characters are written as character references (``Ge&#xe4;ndert``), as Axis does.
"""

from __future__ import annotations

from .decode import SOAPENC, SOAPENV
from .faults import SoapFault

XSD = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
AXIS = "http://xml.apache.org/axis/"

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenv="{SOAPENV}" xmlns:xsd="{XSD}" xmlns:xsi="{XSI}"><soapenv:Body>'
)
_TAIL = "</soapenv:Body></soapenv:Envelope>"
_BOXED = {"int": "xsd:int", "long": "xsd:long", "boolean": "xsd:boolean"}
_ITEM_TYPES = {"string": "soapenc:string", **_BOXED}


def service_namespace(service: str) -> str:
    return f"urn:api.broadmail.de/soap11/{service}"


def encode_response(service: str, operation: str, returns: str | None, value) -> bytes:
    opening = (
        f'<ns1:{operation}Response soapenv:encodingStyle="{SOAPENC}" xmlns:ns1="{service_namespace(service)}"'
    )
    if returns is None:
        return (_HEAD + opening + "/>" + _TAIL).encode("utf-8")
    multi_refs: list[str] = []
    returned = _value(f"{operation}Return", returns, value, multi_refs, outermost=True)
    body = opening + ">" + returned + f"</ns1:{operation}Response>" + "".join(multi_refs)
    return (_HEAD + body + _TAIL).encode("utf-8")


def encode_fault(fault: SoapFault, hostname: str) -> bytes:
    detail = ""
    prefix = 1
    if fault.stack_trace is not None:
        detail += f'<ns1:stackTrace xmlns:ns1="{AXIS}">{escape(fault.stack_trace)}</ns1:stackTrace>'
        prefix = 2
    detail += f'<ns{prefix}:hostname xmlns:ns{prefix}="{AXIS}">{escape(hostname)}</ns{prefix}:hostname>'
    body = (
        f"<soapenv:Fault><faultcode>{escape(fault.faultcode)}</faultcode>"
        f"<faultstring>{escape(fault.faultstring)}</faultstring><detail>{detail}</detail></soapenv:Fault>"
    )
    return (_HEAD + body + _TAIL).encode("utf-8")


def _value(name: str, type_: str, value, multi_refs: list[str], outermost: bool) -> str:
    # Axis declares soapenc on the outermost element that uses it; array items inherit it.
    declare = f' xmlns:soapenc="{SOAPENC}"' if outermost else ""
    if type_.endswith("[]"):
        item_type = type_[:-2]
        items = "".join(_value(name, item_type, item, multi_refs, outermost=False) for item in value)
        return (
            f'<{name} soapenc:arrayType="{_ITEM_TYPES[item_type]}[{len(value)}]" '
            f'xsi:type="soapenc:Array"{declare}>{items}</{name}>'
        )
    if type_ == "string":
        if value is None:
            return f'<{name} xsi:type="soapenc:string" xsi:nil="true"{declare}/>'
        return f'<{name} xsi:type="soapenc:string"{declare}>{escape(value)}</{name}>'
    ref_id = f"id{len(multi_refs)}"
    multi_refs.append(
        f'<multiRef id="{ref_id}" soapenc:root="0" soapenv:encodingStyle="{SOAPENC}" '
        f'xsi:type="{_BOXED[type_]}" xmlns:soapenc="{SOAPENC}">{_boxed_text(value)}</multiRef>'
    )
    return f'<{name} href="#{ref_id}"/>'


def _boxed_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(int(value))


def escape(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char == "&":
            out.append("&amp;")
        elif char == "<":
            out.append("&lt;")
        elif char == ">":
            out.append("&gt;")
        elif char == "\r" or code > 0x7E:
            out.append(f"&#x{code:x};")
        elif code < 0x20 and char not in "\t\n":
            # Not representable in XML 1.0 at all: keep the document well-formed.
            out.append("&#xfffd;")
        else:
            out.append(char)
    return "".join(out)
