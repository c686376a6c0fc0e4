"""The traffic check: each recorded file is validated once, violations named."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

from conformance.references import REPO_ROOT
from conformance.traffic import TrafficChecker

CONTACTS = "samples/ms-docs/contacts"
VALID_REQUEST = f"{CONTACTS}/createitem_01_request.xml"
VALID_RESPONSE = f"{CONTACTS}/createitem_02_response.xml"
INVALID_REQUEST = f"{CONTACTS}/updateitem_03_request_invalid_emailaddress4.xml"
SCHEMA_FAULT = "samples/exchangelib/fault_ErrorServerBusy_BackOffMilliseconds.xml"
INVALID_RESPONSE = f"{CONTACTS}/getitem_02_response_contact.xml"
NOTIFICATION = "samples/exchangelib/sendnotification_statusevent_exchange2016.xml"

SCHEMA_VALIDATION_FAULT = (
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    b"<s:Fault><faultcode>s:Client</faultcode><faultstring>invalid</faultstring>"
    b'<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/'
    b'services/2006/errors">ErrorSchemaValidation</e:ResponseCode></detail>'
    b"</s:Fault></s:Body></s:Envelope>"
)


@pytest.fixture
def traffic(tmp_path, reference_dir):
    """A traffic folder, a checker on it, and a writer of recorded files."""
    folder = tmp_path / "traffic"
    folder.mkdir()

    def write(seq: int, kind: str, source, version: str = "Exchange2016") -> str:
        data = source if isinstance(source, bytes) else (reference_dir / source)
        body = data if isinstance(data, bytes) else data.read_bytes()
        name = f"4242-{seq:07d}-{kind}-{version}.xml"
        (folder / name).write_bytes(body)
        return name

    return TrafficChecker(folder, reference_dir), write


def test_traffic_checker_valid_exchange_has_no_violation(traffic):
    checker, write = traffic
    write(1, "request", VALID_REQUEST)
    write(1, "response", VALID_RESPONSE)

    assert checker.check_new(settle=False) == []
    assert len(checker.checked) == 2


def test_traffic_checker_invalid_response_is_named(traffic):
    checker, write = traffic
    name = write(1, "response", INVALID_RESPONSE)

    violations = checker.check_new(settle=False)

    assert len(violations) == 1
    assert violations[0].startswith(f"{name}: ")
    assert "t:Country" in violations[0]


def test_traffic_checker_file_is_checked_once(traffic):
    checker, write = traffic
    write(1, "response", INVALID_RESPONSE)
    checker.check_new(settle=False)

    assert checker.check_new(settle=False) == []
    assert len(checker.violations) == 1


def test_traffic_checker_repeated_body_is_reported_per_file(traffic):
    checker, write = traffic
    names = [write(seq, "response", INVALID_RESPONSE) for seq in (1, 2)]

    violations = checker.check_new(settle=False)

    assert [violation.partition(":")[0] for violation in violations] == names


def test_traffic_checker_unexpected_name_is_violation(traffic):
    checker, _ = traffic
    (checker.directory / "stray.xml").write_bytes(b"<x/>")

    violations = checker.check_new(settle=False)

    assert violations == ["stray.xml: name is not <pid>-<seq>-<kind>-<version>.xml"]


def test_traffic_checker_unknown_profile_is_violation(traffic):
    checker, write = traffic
    name = write(1, "response", VALID_RESPONSE, version="Exchange2019")

    violations = checker.check_new(settle=False)

    assert violations == [f"{name}: unknown version profile 'Exchange2019'"]


def test_traffic_checker_refused_invalid_request_is_accepted(traffic):
    checker, write = traffic
    write(7, "request", INVALID_REQUEST)
    write(7, "response", SCHEMA_VALIDATION_FAULT)

    assert checker.check_new(settle=False) == []


def test_traffic_checker_invalid_request_answered_is_violation(traffic):
    checker, write = traffic
    name = write(7, "request", INVALID_REQUEST)
    write(7, "response", VALID_RESPONSE)

    violations = checker.check_new(settle=False)

    assert len(violations) == 1
    assert violations[0].startswith(f"{name}: invalid request answered as if valid")


def test_traffic_checker_valid_request_refused_is_violation(traffic):
    checker, write = traffic
    name = write(3, "request", VALID_REQUEST)
    write(3, "response", SCHEMA_VALIDATION_FAULT)

    violations = checker.check_new(settle=False)

    assert violations == [f"{name}: valid request refused with ErrorSchemaValidation"]


def test_traffic_checker_request_version_outside_profile_is_violation(traffic):
    # exchangelib's own notification carries Exchange2016; the 2010 SP2
    # server set does not know that release.
    checker, write = traffic
    name = write(2, "notification", NOTIFICATION, version="Exchange2010")

    violations = checker.check_new(settle=False)

    assert len(violations) == 1
    assert violations[0].startswith(f"{name}: RequestServerVersion Version=")


def test_traffic_checker_notification_must_be_send_notification(traffic):
    checker, write = traffic
    name = write(2, "notification", VALID_RESPONSE)

    violations = checker.check_new(settle=False)

    assert len(violations) == 1
    assert violations[0].startswith(f"{name}: notification body is")


def test_traffic_checker_answer_without_server_version_is_violation(
    traffic, reference_dir
):
    checker, write = traffic
    answer = (reference_dir / VALID_RESPONSE).read_bytes()
    header = answer[answer.index(b"<soap:Header>") : answer.index(b"<soap:Body>")]
    name = write(4, "response", answer.replace(header, b""))

    violations = checker.check_new(settle=False)

    assert violations == [f"{name}: answer without s:Header/t:ServerVersionInfo"]


def test_traffic_checker_empty_response_is_accepted(traffic):
    checker, write = traffic
    write(5, "response", b"")

    assert checker.check_new(settle=False) == []
    assert len(checker.checked) == 1


def test_traffic_checker_half_written_file_waits_when_settling(traffic):
    checker, write = traffic
    name = write(9, "response", b"<s:Envelope xmlns:s='urn:x'><s:Bo")

    assert checker.check_new(settle=True) == []
    assert name not in checker.checked


def test_traffic_checker_half_written_file_fails_at_the_end(traffic):
    checker, write = traffic
    name = write(9, "response", b"<s:Envelope xmlns:s='urn:x'><s:Bo")
    old = time.time() - 60
    os.utime(checker.directory / name, (old, old))

    violations = checker.check_new(settle=True)

    assert len(violations) == 1
    assert violations[0].startswith(f"{name}: not a well-formed XML document")


def test_traffic_checker_vanished_folder_is_violation(traffic):
    checker, _ = traffic
    checker.directory.rmdir()

    violations = checker.check_new(settle=False)

    assert violations == [
        f"{checker.directory}: the traffic folder vanished during the run"
    ]


PLUGIN_CONFTEST = """
from conformance.plugin import register_traffic_validation

def pytest_configure(config):
    register_traffic_validation(config)
"""

PLUGIN_TESTS = """
import os, pathlib, pytest

@pytest.fixture
def emulator():
    return pathlib.Path(os.environ["EXSYNC_EMULATOR_TRAFFIC_DIR"])

def test_drives(emulator):
    body = {body!r}
    if body is not None:
        (emulator / "77-0000001-response-Exchange2016.xml").write_bytes(body)
"""


def _run_session(tmp_path, body: bytes | None) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(PLUGIN_CONFTEST)
    (tmp_path / "test_session.py").write_text(
        textwrap.dedent(PLUGIN_TESTS.format(body=body))
    )
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "tests"))
    env.pop("EXSYNC_EMULATOR_TRAFFIC_DIR", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_traffic_session_valid_traffic_exits_zero(tmp_path, reference_dir):
    body = (reference_dir / VALID_RESPONSE).read_bytes()

    result = _run_session(tmp_path, body)

    assert result.returncode == 0, result.stdout
    assert "EWS traffic: 1 files" in result.stdout


def test_traffic_session_violation_fails_the_run(tmp_path, reference_dir):
    body = (reference_dir / INVALID_RESPONSE).read_bytes()

    result = _run_session(tmp_path, body)

    assert result.returncode == 1
    assert "1 passed" in result.stdout
    assert "77-0000001-response-Exchange2016.xml: " in result.stdout


def test_traffic_session_no_traffic_from_emulator_tests_fails(tmp_path, reference_dir):
    result = _run_session(tmp_path, None)

    assert result.returncode == 1
    assert "1 tests drove the emulator but it recorded no traffic" in result.stdout
