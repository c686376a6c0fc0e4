"""Validate the emulator's recorded traffic against the schema sets.

With ``EXSYNC_EMULATOR_TRAFFIC_DIR`` set, the emulator writes each request,
response and notification body to ``<pid>-<seq>-<kind>-<version>.xml``.
Responses and notifications must validate against the schema set of the
profile that produced them. A request that does not validate is accepted
only if the emulator refused it: its response (same pid and seq) is a SOAP
fault, an empty body, or a schema-validation error, as Exchange answers.
"""

import hashlib
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from conformance.schemas import (
    ERRORS_NS,
    MESSAGES_NS,
    PROFILE_SETS,
    SOAP_NS,
    TYPES_NS,
    SchemaSet,
    load_profile_set,
    parse_xml,
)

ENV_VAR = "EXSYNC_EMULATOR_TRAFFIC_DIR"

FILE_NAME = re.compile(
    r"^(?P<pid>\d+)-(?P<seq>\d{7,})-(?P<kind>request|response|notification)"
    r"-(?P<version>\w+)\.xml$"
)

# Codes with which Exchange refuses a request before acting on it.
REFUSAL_CODES = frozenset(
    {"ErrorSchemaValidation", "ErrorInvalidRequest", "ErrorInvalidServerVersion"}
)

# A file younger than this that does not parse may still be being written.
SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class TrafficFile:
    """One recorded body and what its name says about it."""

    path: Path
    pid: str
    seq: str
    kind: str
    version: str

    @property
    def response_path(self) -> Path:
        """Where the response to this request is recorded (same pid and seq)."""
        name = f"{self.pid}-{self.seq}-response-{self.version}.xml"
        return self.path.with_name(name)


class TrafficChecker:
    """Validate each recorded file once and keep the violations found."""

    def __init__(self, directory: Path, reference_dir: Path) -> None:
        self.directory = directory
        self.reference_dir = reference_dir
        self.checked: set[str] = set()
        self.violations: list[str] = []
        self.bytes_checked = 0
        self.seconds = 0.0
        self.counts: Counter[tuple[str, str]] = Counter()
        self._verdicts: dict[tuple[str, str, bytes], list[str]] = {}

    def check_new(self, *, settle: bool) -> list[str]:
        """Validate the files not yet checked; return their violations.

        With ``settle``, files that may still be being written (young and
        unparseable, or requests whose response has not appeared) wait for
        a later call.
        """
        started = time.monotonic()
        if not self.directory.is_dir():
            found = [f"{self.directory}: the traffic folder vanished during the run"]
            self.violations.extend(found)
            return found

        files = self._pending_files()
        found = []
        for name, item in sorted(files.items()):
            if item is None:
                found.append(f"{name}: name is not <pid>-<seq>-<kind>-<version>.xml")
                self.checked.add(name)
                continue

            errors = self._check_file(item, settle)
            if errors is None:
                continue

            found.extend(f"{name}: {error}" for error in errors)
            self.checked.add(name)
            self.counts[(item.version, item.kind)] += 1
            self.bytes_checked += item.path.stat().st_size

        self.seconds += time.monotonic() - started
        self.violations.extend(found)
        return found

    def _pending_files(self) -> dict[str, TrafficFile | None]:
        files: dict[str, TrafficFile | None] = {}
        for path in self.directory.iterdir():
            if path.name in self.checked or path.name.startswith("."):
                continue

            match = FILE_NAME.match(path.name)
            files[path.name] = TrafficFile(path, **match.groupdict()) if match else None

        return files

    def _check_file(self, item: TrafficFile, settle: bool) -> list[str] | None:
        if item.version not in PROFILE_SETS:
            return [f"unknown version profile {item.version!r}"]

        schema_set = load_profile_set(self.reference_dir, item.version)
        data = item.path.read_bytes()
        if settle and _may_be_incomplete(item.path, data):
            return None

        if item.kind == "request":
            return self._check_request(schema_set, data, item.response_path, settle)

        if not data.strip():
            return [] if item.kind == "response" else ["empty notification body"]

        return self._document_errors(schema_set, item.kind, data)

    def _document_errors(self, schema_set: SchemaSet, kind: str, data: bytes):
        # Many bodies repeat byte for byte (folder lookups, heartbeats):
        # validate each distinct body once per schema set and kind.
        key = (schema_set.name, kind, hashlib.sha256(data).digest())
        if key in self._verdicts:
            return self._verdicts[key]

        errors = schema_set.check_document(data)
        if kind == "notification" and not errors:
            errors = _check_notification_body(data)
        elif kind == "response" and not errors:
            errors = _check_server_version_info(data)

        self._verdicts[key] = errors
        return errors

    def _check_request(
        self,
        schema_set: SchemaSet,
        data: bytes,
        response: Path,
        settle: bool,
    ) -> list[str] | None:
        if data.strip():
            errors = self._document_errors(schema_set, "request", data)
        else:
            errors = ["empty body"]

        if not response.exists():
            if settle:
                return None

            if errors:
                return [f"invalid request without a response file: {errors[0]}"]

            return []

        refused = _is_refusal(response.read_bytes())
        if errors and not refused:
            return [
                f"invalid request answered as if valid: {error}" for error in errors
            ]

        if not errors and refused == "ErrorSchemaValidation":
            return ["valid request refused with ErrorSchemaValidation"]

        return []


def _may_be_incomplete(path: Path, data: bytes) -> bool:
    if time.time() - path.stat().st_mtime > SETTLE_SECONDS:
        return False

    try:
        parse_xml(data)
    except (etree.XMLSyntaxError, ValueError):
        return True

    return False


def _is_refusal(data: bytes) -> str | None:
    """Name how a response refused its request, or None if it did not."""
    if not data.strip():
        return "empty response"

    try:
        root = parse_xml(data)
    except (etree.XMLSyntaxError, ValueError):
        return None

    fault = root.find(f".//{{{SOAP_NS}}}Fault")
    if fault is not None:
        code = fault.find(f"detail/{{{ERRORS_NS}}}ResponseCode")
        text = (code.text or "").strip() if code is not None else ""
        return text or "SOAP fault"

    codes = {
        (element.text or "").strip()
        for element in root.iter(f"{{{MESSAGES_NS}}}ResponseCode")
    }
    if codes and codes <= REFUSAL_CODES:
        return sorted(codes)[0]

    return None


def _check_server_version_info(data: bytes) -> list[str]:
    # exchangelib reads the server's version from every answer; recorded
    # Exchange faults may go without it, other answers never do.
    root = parse_xml(data)
    if root.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault") is not None:
        return []

    if root.find(f"{{{SOAP_NS}}}Header/{{{TYPES_NS}}}ServerVersionInfo") is None:
        return ["answer without s:Header/t:ServerVersionInfo"]

    return []


def _check_notification_body(data: bytes) -> list[str]:
    body = parse_xml(data).find(f"{{{SOAP_NS}}}Body")
    child = next((element for element in body if isinstance(element.tag, str)), None)
    if child is None or child.tag != f"{{{MESSAGES_NS}}}SendNotification":
        tag = child.tag if child is not None else None
        return [f"notification body is {tag}, not m:SendNotification"]

    return []
