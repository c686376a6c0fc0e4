"""Replay XML samples against a running emulator and reduce answers to shape.

A sample is sent as written, except for the values that only make sense on
the server Microsoft documented: item ids, change keys, sync states,
subscription ids, folder names the emulator does not model, and push URLs
(pointed at a loopback listener). Each test names its replacements.

Two answers have the same shape when they have the same element paths
(ignoring values and ids) with the same attribute names. Inside an item
only the item's id is kept, because Microsoft's samples show messages and
meeting requests where the emulator holds contacts; contact properties are
compared apart, against the real-server recordings.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import requests
from lxml import etree

from conformance.schemas import ERRORS_NS, MESSAGES_NS, SOAP_NS, TYPES_NS, parse_xml

SERVICE_ACCOUNT = ("svc-exsync@example.com", "emulator-password")

HTTPS_SOAP_NS = "https://schemas.xmlsoap.org/soap/envelope/"

PREFIXES = {SOAP_NS: "s", TYPES_NS: "t", MESSAGES_NS: "m", ERRORS_NS: "e"}

# Children of these elements are items; their properties are not compared.
ITEM_PARENTS = frozenset({"Items", "Create", "Update"})


@dataclass(frozen=True)
class Answer:
    """What the emulator answered: HTTP status and the parsed envelope."""

    status: int
    root: etree._Element


def read_sample(samples_dir: Path, name: str, replacements=None) -> bytes:
    """Return a sample's bytes with each ``old -> new`` text replaced once or more.

    Raises AssertionError when a replacement does not occur in the sample.
    """
    text = (samples_dir / name).read_text(encoding="utf-8")
    for old, new in (replacements or {}).items():
        assert old in text, f"{old!r} not in {name}"
        text = text.replace(old, new)

    return text.encode("utf-8")


def post_soap(url: str, body: bytes, session=None, auth=SERVICE_ACCOUNT) -> Answer:
    """POST a SOAP request (as the service account by default); parse the answer.

    Raises AssertionError when the answer is not XML.
    """
    sender = session or requests
    response = sender.post(
        url,
        data=body,
        auth=auth,
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=30,
    )
    assert response.content.strip(), f"HTTP {response.status_code} without body"
    return Answer(response.status_code, parse_xml(response.content))


def load_envelope(samples_dir: Path, name: str, replacements=None) -> etree._Element:
    """Parse a response sample, after the given text replacements."""
    return parse_xml(read_sample(samples_dir, name, replacements))


def shape(root: etree._Element) -> set[str]:
    """The set of element paths (with attribute names) under ``s:Body``.

    Header children count by name only: samples come from servers whose
    ServerVersionInfo carries other attributes.
    """
    paths = set()
    for section in root:
        if not isinstance(section.tag, str):
            continue

        if etree.QName(section).localname == "Header":
            paths.update(f"Header/{_name(child)}" for child in _elements(section))
        else:
            for child in _elements(section):
                _collect(child, "Body", paths)

    return paths


def response_messages(root: etree._Element) -> list[tuple[str, str]]:
    """(ResponseClass, ResponseCode) of each response message, in order."""
    found = []
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("ResponseClass"):
            code = element.find(f"{{{MESSAGES_NS}}}ResponseCode")
            found.append((element.get("ResponseClass"), (code.text or "").strip()))

    return found


def fault_code(root: etree._Element) -> str | None:
    """The ``detail/e:ResponseCode`` of a SOAP fault, or None without a fault."""
    fault = root.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
    if fault is None:
        return None

    code = fault.find(f"detail/{{{ERRORS_NS}}}ResponseCode")
    return (code.text or "").strip() if code is not None else ""


def text_of(root: etree._Element, local_name: str) -> str:
    """The text of the first element named ``local_name`` (any namespace)."""
    for element in root.iter():
        if (
            isinstance(element.tag, str)
            and etree.QName(element).localname == local_name
        ):
            return (element.text or "").strip()

    raise LookupError(local_name)


def recorded_conflict_results(reference_dir: Path) -> set[str]:
    """The ConflictResults paths of the UpdateItem answer recorded from Exchange.

    Microsoft's UpdateItem sample predates them; later servers send them.
    """
    name = "Garethp__php-ews__ContactsAPITest.testUpdateContact.json"
    records = json.loads((reference_dir / "real-server" / name).read_text())
    bodies = [record["body"] for record in records]
    update = next(body for body in bodies if "UpdateItemResponse" in body)
    paths = shape(parse_xml(update.encode()))
    return {path for path in paths if "ConflictResults" in path}


def _collect(element: etree._Element, parent_path: str, paths: set[str]) -> None:
    path = f"{parent_path}/{_name(element)}"
    paths.add(path)
    paths.update(f"{path}/@{name}" for name in sorted(element.attrib))
    for child in _elements(element):
        if etree.QName(element).localname in ITEM_PARENTS:
            _collect_item(child, path, paths)
        else:
            _collect(child, path, paths)


def _collect_item(item: etree._Element, parent_path: str, paths: set[str]) -> None:
    path = f"{parent_path}/t:<item>"
    paths.add(path)
    for child in _elements(item):
        if etree.QName(child).localname == "ItemId":
            _collect(child, path, paths)


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _name(element: etree._Element) -> str:
    qname = etree.QName(element)
    prefix = PREFIXES.get(qname.namespace, qname.namespace or "")
    return f"{prefix}:{qname.localname}"
