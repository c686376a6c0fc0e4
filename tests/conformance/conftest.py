"""Fixtures for the conformance tests: references, schema sets, traffic checks."""

import os
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conformance.plugin import PLUGIN_NAME
from conformance.references import describe_missing_reference, find_reference_dir
from conformance.replay import SERVICE_ACCOUNT
from conformance.schemas import PROFILE_SETS, SchemaSet, load_schema_set
from conformance.traffic import ENV_VAR


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The EWS reference folder; skips the test where it is absent."""
    folder = find_reference_dir()
    if folder is None:
        pytest.skip(describe_missing_reference())

    return folder


@pytest.fixture(scope="session")
def samples_dir(reference_dir: Path) -> Path:
    """The folder of verbatim XML samples."""
    return reference_dir / "samples"


@pytest.fixture(scope="session")
def schema_sets(reference_dir: Path) -> dict[str, SchemaSet]:
    """Every schema set the emulator is held to, by set name, loaded once."""
    names = sorted(set(PROFILE_SETS.values()))
    return {name: load_schema_set(reference_dir, name) for name in names}


@pytest.fixture
def traffic_violations(request: pytest.FixtureRequest):
    """A callable that validates the traffic recorded so far; its violations."""
    plugin = request.config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is None or plugin.checker is None:
        pytest.skip("traffic validation is not active in this session")

    return lambda: plugin.checker.check_new(settle=False)


@pytest.fixture(autouse=True)
def traffic_is_valid(request: pytest.FixtureRequest):
    """Fail the test when traffic recorded so far breaks the schemas."""
    yield

    plugin = request.config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is None or plugin.checker is None:
        return

    violations = plugin.checker.check_new(settle=True)
    if violations:
        pytest.fail("EWS traffic violations:\n" + "\n".join(violations))


# exchangelib's own answer to a notification, as a listener sends it.
OK_REPLY = "exchangelib/sendnotificationresult_ok_as_emitted_by_exchangelib.xml"

PROFILES = ("Exchange2010", "Exchange2013", "Exchange2016")


@pytest.fixture(params=PROFILES)
def emulator(request: pytest.FixtureRequest, reference_dir: Path):
    """A started emulator per version profile, seeded with the sample seed.

    Samples are replayed as the service account on its own mailbox, which
    is added here, so requests without ExchangeImpersonation make sense.
    """
    from exsync.emulator import Emulator, Seed

    before = _traffic_names()
    emu = Emulator(seed=Seed.sample(), version=request.param).start()
    emu.add_mailbox(SERVICE_ACCOUNT[0])
    yield emu

    emu.stop()
    _assert_traffic_recorded(emu, before)


def _traffic_names() -> set[str]:
    folder = os.environ.get(ENV_VAR)
    return set(os.listdir(folder)) if folder and os.path.isdir(folder) else set()


def _assert_traffic_recorded(emu, before: set[str]) -> None:
    # Every request the journal saw must have left a request file: a path
    # that skips the dump would escape validation unnoticed.
    if not os.environ.get(ENV_VAR):
        return

    marker = f"-request-{emu.profile.name}.xml"
    mine = f"{os.getpid()}-"
    written = [
        name
        for name in _traffic_names() - before
        if name.startswith(mine) and name.endswith(marker)
    ]
    assert len(written) >= len(emu.journal), (
        f"the emulator served {len(emu.journal)} requests but recorded "
        f"{len(written)} request files"
    )


@pytest.fixture
def push_listener(samples_dir: Path):
    """A loopback push listener: its URL and a queue of the bodies it got."""
    bodies: queue.Queue = queue.Queue()
    reply = (samples_dir / OK_REPLY).read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("Content-Length", 0))
            bodies.put(self.rfile.read(length))
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/push", bodies

    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
