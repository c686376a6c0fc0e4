"""SOAP plumbing: namespaces, safe request parsing, envelopes and faults.

Responses are built as strings, not trees: a 512-contact sync page must cost
the server a small fraction of what parsing it costs the client.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
T_NS = "http://schemas.microsoft.com/exchange/services/2006/types"
M_NS = "http://schemas.microsoft.com/exchange/services/2006/messages"
E_NS = "http://schemas.microsoft.com/exchange/services/2006/errors"
XI_NS = "http://www.w3.org/2001/XInclude"

MAX_BODY_BYTES = 4 * 1024 * 1024

_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})

_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def t(name: str) -> str:
    """Return the Clark name of an element in the types namespace."""
    return f"{{{T_NS}}}{name}"


def m(name: str) -> str:
    """Return the Clark name of an element in the messages namespace."""
    return f"{{{M_NS}}}{name}"


def escape(value: str) -> str:
    """Escape text for use in element content or a double-quoted attribute."""
    return value.translate(_ESCAPE)


class SoapFaultError(Exception):
    """A request that Exchange answers with a SOAP fault (HTTP 500)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        client: bool = False,
        values: dict[str, str] | None = None,
        soap_code: str | None = None,
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.client = client
        self.values = values or {}
        # A SOAP-level fault (VersionMismatch...) has no EWS detail.
        self.soap_code = soap_code


class ResponseError(Exception):
    """An error that becomes one ResponseMessage with ResponseClass="Error"."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def schema_error(message: str) -> SoapFaultError:
    """Return the fault Exchange gives for a request failing schema validation."""
    return SoapFaultError(
        "ErrorSchemaValidation",
        f"The request failed schema validation: {message}",
        client=True,
    )


@dataclass
class Request:
    """A parsed EWS request: the operation element and the headers that matter."""

    operation: str
    body: etree._Element
    version: str | None = None
    impersonate: str | None = None
    headers: dict[str, etree._Element] = field(default_factory=dict)


def parse_request(data: bytes) -> Request:
    """Parse a SOAP request safely.

    Raises SoapFaultError for malformed XML, DTDs, a wrong envelope or an empty body.
    """
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise schema_error("DTD is prohibited in this XML document.")
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise schema_error(str(error)) from None
    # The byte check above only looks at the start; a DOCTYPE can follow a
    # long comment. The parser loaded nothing, but Exchange refuses any DTD.
    if root.getroottree().docinfo.doctype:
        raise schema_error("DTD is prohibited in this XML document.")
    # lxml never processes XInclude unless asked; Exchange's schema has no
    # place for it, so refuse it rather than silently drop it.
    if next(root.iter(f"{{{XI_NS}}}*"), None) is not None:
        raise schema_error("XInclude elements are not allowed.")
    if (
        etree.QName(root).localname == "Envelope"
        and root.tag != f"{{{SOAP_NS}}}Envelope"
    ):
        raise SoapFaultError(
            "VersionMismatch",
            "The envelope is not in the SOAP 1.1 namespace.",
            soap_code="s:VersionMismatch",
        )
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise schema_error(f"The root element {root.tag!r} is not a SOAP envelope.")
    header = root.find(f"{{{SOAP_NS}}}Header")
    body = root.find(f"{{{SOAP_NS}}}Body")
    elements = (
        [child for child in body if isinstance(child.tag, str)]
        if (body is not None)
        else []
    )
    if not elements:
        raise schema_error("The SOAP body is missing or empty.")
    if len(elements) > 1:
        raise schema_error(
            "The SOAP body holds more than one operation; EWS takes exactly one."
        )
    operation = elements[0]
    if not isinstance(operation.tag, str) or not operation.tag.startswith(
        f"{{{M_NS}}}"
    ):
        raise schema_error(
            f"The element {operation.tag!r} is not an EWS operation in the "
            "messages namespace."
        )
    request = Request(operation=etree.QName(operation).localname, body=operation)
    if header is not None:
        for child in header:
            if isinstance(child.tag, str):
                request.headers[etree.QName(child).localname] = child
    version = request.headers.get("RequestServerVersion")
    if version is not None:
        request.version = version.get("Version")
        if not request.version:
            raise schema_error(
                "The required attribute 'Version' of RequestServerVersion is "
                "missing or empty."
            )
    impersonation = request.headers.get("ExchangeImpersonation")
    if impersonation is not None:
        request.impersonate = _impersonated_address(impersonation)
    return request


def _impersonated_address(header: etree._Element) -> str:
    sid = header.find(t("ConnectingSID"))
    if sid is None or len(sid) == 0:
        raise SoapFaultError(
            "ErrorInvalidExchangeImpersonationHeaderData",
            "The ExchangeImpersonation SOAP header has no ConnectingSID.",
        )
    value = (sid[0].text or "").strip()
    if not value:
        raise SoapFaultError(
            "ErrorInvalidExchangeImpersonationHeaderData",
            "The ExchangeImpersonation SOAP header has an empty ConnectingSID.",
        )
    return value.lower()


def server_version_header(info: str) -> str:
    """Wrap a ServerVersionInfo element in a SOAP header."""
    return f"<s:Header>{info}</s:Header>"


def envelope(header: str, body: str) -> bytes:
    """Return a complete response envelope as UTF-8 bytes."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{SOAP_NS}">{header}<s:Body>{body}</s:Body>'
        "</s:Envelope>"
    ).encode()


def fault_body(fault: SoapFaultError) -> str:
    """Render a SOAP fault the way Exchange shapes it."""
    if fault.soap_code:
        return (
            f"<s:Fault><faultcode>{fault.soap_code}</faultcode>"
            f'<faultstring xml:lang="en-US">{escape(fault.message)}</faultstring>'
            "</s:Fault>"
        )
    if fault.client:
        code = "s:Client"
    else:
        code = f"a:{fault.code}"
    values = "".join(
        f'<t:Value Name="{escape(k)}">{escape(v)}</t:Value>'
        for k, v in fault.values.items()
    )
    message_xml = (
        f'<t:MessageXml xmlns:t="{T_NS}">{values}</t:MessageXml>' if values else ""
    )
    return (
        f'<s:Fault><faultcode xmlns:a="{T_NS}">{code}</faultcode>'
        f'<faultstring xml:lang="en-US">{escape(fault.message)}</faultstring>'
        f'<detail><e:ResponseCode xmlns:e="{E_NS}">{fault.code}</e:ResponseCode>'
        f'<e:Message xmlns:e="{E_NS}">{escape(fault.message)}</e:Message>'
        f"{message_xml}</detail></s:Fault>"
    )


def response_body(operation: str, messages: list[str]) -> str:
    """Wrap rendered response messages in ``m:{Op}Response``."""
    return (
        f'<m:{operation}Response xmlns:m="{M_NS}" xmlns:t="{T_NS}">'
        f"<m:ResponseMessages>{''.join(messages)}</m:ResponseMessages>"
        f"</m:{operation}Response>"
    )


def success_message(operation: str, content: str = "") -> str:
    """Render one successful response message."""
    return (
        f'<m:{operation}ResponseMessage ResponseClass="Success">'
        f"<m:ResponseCode>NoError</m:ResponseCode>{content}"
        f"</m:{operation}ResponseMessage>"
    )


def error_message(operation: str, error: ResponseError, tail: str = "") -> str:
    """Render one error response message; ``tail`` follows DescriptiveLinkKey."""
    return (
        f'<m:{operation}ResponseMessage ResponseClass="Error">'
        f"<m:MessageText>{escape(error.message)}</m:MessageText>"
        f"<m:ResponseCode>{error.code}</m:ResponseCode>"
        f"<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>{tail}"
        f"</m:{operation}ResponseMessage>"
    )


def parse_bool(text: str | None) -> bool:
    """Read an xs:boolean; EWS clients send both true/false and 1/0."""
    value = (text or "").strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise schema_error(f"The value {text!r} is not a valid boolean.")


def render_bool(value: bool) -> str:
    """Write an xs:boolean the way Exchange does."""
    return "true" if value else "false"
