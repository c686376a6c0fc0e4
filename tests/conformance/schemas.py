"""Load Microsoft's EWS schema sets and check SOAP messages against them.

Three sets are loaded, each once per process: the Open Specifications set
(Exchange2016), and the sets served by Exchange 2010 SP2 and by Exchange
2016 on-premises (pinned to Exchange2013_SP1). A SOAP message is checked the
way the references were: every child of ``s:Header`` and of ``s:Body`` is
validated on its own against the set's global elements, because no SOAP
envelope schema ships with the references.
"""

import copy
import functools
import tempfile
from pathlib import Path

import xmlschema
from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES_NS = "http://schemas.microsoft.com/exchange/services/2006/types"
MESSAGES_NS = "http://schemas.microsoft.com/exchange/services/2006/messages"
ERRORS_NS = "http://schemas.microsoft.com/exchange/services/2006/errors"

OPEN_SPECS = "openspecs"
EXCHANGE_2010_SP2 = "exchange2010_sp2"
EXCHANGE_2013_SP1 = "exchange2013_sp1"

# The emulator's version profiles and the server set each is held to.
PROFILE_SETS = {
    "Exchange2010": EXCHANGE_2010_SP2,
    "Exchange2013": EXCHANGE_2013_SP1,
    "Exchange2016": OPEN_SPECS,
}

OPEN_SPECS_DIR = "openspecs_interop_testsuites"

# Both files are still loaded through MS-OXWSCDATA-messages.xsd; they are
# only kept out of the wrapper's own includes because one includes itself
# and the other carries an empty <xs:include/>.
OPEN_SPECS_DEFECTS = frozenset({"MS-OXWSCEXT-messages.xsd", "MS-OXWSSRCH-messages.xsd"})

FAULT_CHILDREN = ("faultcode", "faultstring", "faultactor", "detail")

MAX_ERRORS_PER_ELEMENT = 3


class SchemaSet:
    """One loaded schema set and the checks a SOAP message must pass."""

    def __init__(self, name: str, schema: xmlschema.XMLSchema) -> None:
        self.name = name
        self.schema = schema
        maps = schema.maps
        self.versions = frozenset(
            maps.types[f"{{{TYPES_NS}}}ExchangeVersionType"].enumeration
        )
        self.response_codes = maps.types[f"{{{MESSAGES_NS}}}ResponseCodeType"]
        header = maps.elements[f"{{{TYPES_NS}}}RequestServerVersion"]
        self.pinned_version = header.type.attributes["Version"].fixed

    def check_document(self, data: bytes) -> list[str]:
        """Return every violation in a SOAP message given as bytes.

        A document that is not well-formed, or declares a DOCTYPE, is one
        violation; nothing raises.
        """
        try:
            root = parse_xml(data)
        except (etree.XMLSyntaxError, ValueError) as error:
            return [f"not a well-formed XML document: {error}"]

        return self.check_envelope(root)

    def check_envelope(self, root: etree._Element) -> list[str]:
        """Return the violations of a parsed SOAP 1.1 envelope."""
        if root.tag != f"{{{SOAP_NS}}}Envelope":
            return [f"root element is {root.tag}, not a SOAP 1.1 Envelope"]

        sections = [child for child in root if isinstance(child.tag, str)]
        names = [child.tag for child in sections]
        if names not in (
            [f"{{{SOAP_NS}}}Body"],
            [f"{{{SOAP_NS}}}Header", f"{{{SOAP_NS}}}Body"],
        ):
            return [f"Envelope children are {names}, not [Header], Body"]

        errors = []
        for section in sections:
            errors.extend(self._check_section(section))

        return errors

    def check_element(self, element: etree._Element) -> list[str]:
        """Return the violations of one Header or Body child."""
        if element.tag == f"{{{TYPES_NS}}}RequestServerVersion":
            return self._check_request_server_version(element)

        return self._schema_errors(element)

    def _check_section(self, section: etree._Element) -> list[str]:
        children = [child for child in section if isinstance(child.tag, str)]
        is_body = section.tag == f"{{{SOAP_NS}}}Body"
        if is_body and len(children) != 1:
            return [f"Body holds {len(children)} elements, not exactly one"]

        errors = []
        for child in children:
            if child.tag == f"{{{SOAP_NS}}}Fault":
                errors.extend(self._check_fault(child))
            else:
                errors.extend(self.check_element(child))

        return errors

    def _check_request_server_version(self, element: etree._Element) -> list[str]:
        # Each set pins Version with fixed= to its own release, yet servers
        # accept any release they know: check the value against the set's
        # list, then validate the rest of the element with the pinned value.
        version = element.get("Version")
        errors = []
        if version not in self.versions:
            known = ", ".join(sorted(self.versions))
            errors.append(
                f"RequestServerVersion Version={version!r} is not one of {known}"
            )

        pinned = copy.deepcopy(element)
        pinned.set("Version", self.pinned_version)
        errors.extend(self._schema_errors(pinned))
        return errors

    def _check_fault(self, fault: etree._Element) -> list[str]:
        # SOAP 1.1 Fault children are unqualified; Exchange puts its code in
        # detail/e:ResponseCode and extra values in t:MessageXml.
        children = [child for child in fault if isinstance(child.tag, str)]
        names = [child.tag for child in children]
        expected = [name for name in FAULT_CHILDREN if name in names]
        if names != expected or names[:2] != ["faultcode", "faultstring"]:
            return [f"Fault children are {names}, not faultcode, faultstring, ..."]

        errors = []
        code = children[0].text or ""
        prefix = code.strip().partition(":")[0] if ":" in code else None
        if prefix is not None and prefix not in children[0].nsmap:
            errors.append(f"faultcode {code!r} uses an undeclared prefix")

        detail = fault.find("detail")
        if detail is not None:
            errors.extend(self._check_fault_detail(detail))

        return errors

    def _check_fault_detail(self, detail: etree._Element) -> list[str]:
        errors = []
        codes = detail.findall(f"{{{ERRORS_NS}}}ResponseCode")
        if len(codes) != 1:
            errors.append(f"Fault detail holds {len(codes)} e:ResponseCode, not 1")

        for code in codes:
            value = (code.text or "").strip()
            if not self.response_codes.is_valid(value):
                errors.append(f"Fault e:ResponseCode {value!r} is not a ResponseCode")

        for child in detail:
            if child.tag == f"{{{MESSAGES_NS}}}MessageXml":
                errors.append("Fault MessageXml is in the messages namespace, not t:")

        return errors

    def _schema_errors(self, element: etree._Element) -> list[str]:
        errors = []
        for error in self.schema.iter_errors(element):
            where = error.path or etree.QName(element).localname
            errors.append(f"{where}: {error.reason}")
            if len(errors) == MAX_ERRORS_PER_ELEMENT:
                break

        return errors


def parse_xml(data: bytes) -> etree._Element:
    """Parse XML without entities, DTDs or network access.

    Raises etree.XMLSyntaxError when not well-formed and ValueError when the
    document declares a DOCTYPE (EWS never does).
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    root = etree.fromstring(data.strip(), parser)
    if root.getroottree().docinfo.doctype:
        raise ValueError("document declares a DOCTYPE")

    return root


@functools.cache
def load_schema_set(reference_dir: Path, name: str) -> SchemaSet:
    """Load and cache one schema set from ``reference_dir/schemas``.

    Raises xmlschema.XMLSchemaException (or OSError) when the files are
    missing or do not form a schema.
    """
    schemas = reference_dir / "schemas"
    if name == OPEN_SPECS:
        return SchemaSet(name, _load_open_specs(schemas / OPEN_SPECS_DIR))

    return SchemaSet(name, xmlschema.XMLSchema(str(schemas / name / "messages.xsd")))


def load_profile_set(reference_dir: Path, profile: str) -> SchemaSet:
    """Load the schema set an emulator version profile is held to.

    Raises KeyError for an unknown profile name.
    """
    return load_schema_set(reference_dir, PROFILE_SETS[profile])


def _load_open_specs(folder: Path) -> xmlschema.XMLSchema:
    # The messages files import the types namespace from several files; one
    # wrapper per namespace includes every file so nothing hangs on which
    # import a processor honours.
    files = sorted(folder.glob("MS-OXWS*.xsd"))
    types = [path for path in files if path.stem.endswith("-types")]
    messages = [
        path
        for path in files
        if "-message" in path.stem and path.name not in OPEN_SPECS_DEFECTS
    ]
    with tempfile.TemporaryDirectory(prefix="ews-openspecs-") as tmp:
        wrapper_dir = Path(tmp)
        types_wrapper = wrapper_dir / "types.xsd"
        types_wrapper.write_text(_wrapper_text(TYPES_NS, types, imports=""))
        imports = (
            f'<xs:import namespace="{TYPES_NS}" '
            f'schemaLocation="{types_wrapper.as_uri()}"/>'
        )
        messages_wrapper = wrapper_dir / "messages.xsd"
        messages_wrapper.write_text(_wrapper_text(MESSAGES_NS, messages, imports))
        return xmlschema.XMLSchema(str(messages_wrapper))


def _wrapper_text(namespace: str, includes: list[Path], imports: str) -> str:
    lines = [
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        f' targetNamespace="{namespace}" elementFormDefault="qualified">',
        imports,
        *(f'<xs:include schemaLocation="{path.as_uri()}"/>' for path in includes),
        "</xs:schema>",
    ]
    return "\n".join(lines)
