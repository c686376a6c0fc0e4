"""The JSON control API and the ``exsync emulator`` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from urllib.parse import quote

from conftest import ALICE


def _call(emu, method, path, payload=None):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        f"{emu.base_url}/emulator/v1/{path}", data=data, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_control_create_contact_appears_for_owner(emulator):
    status, answer = _call(
        emulator, "POST", f"mailboxes/{ALICE}/contacts", {"display_name": "Via JSON"}
    )
    names = [c["display_name"] for c in emulator.owner(ALICE).contacts()]
    assert (status, "Via JSON" in names, "item_id" in answer) == (200, True, True)


def test_control_set_private_marks_contact(emulator):
    item_id = emulator.owner(ALICE).contacts()[0]["item_id"]
    status, _ = _call(
        emulator,
        "POST",
        f"mailboxes/{ALICE}/contacts/{quote(item_id, safe='')}/private",
        {"private": True},
    )
    contact = emulator.owner(ALICE).contacts()[-1]
    assert (status, contact["item_id"], contact["sensitivity"]) == (
        200,
        item_id,
        "Private",
    )


def test_control_unknown_mailbox_is_404(emulator):
    status, answer = _call(emulator, "GET", "mailboxes/nobody@example.com/contacts")
    assert (status, "error" in answer) == (404, True)


def test_control_arms_server_busy_fault(emulator):
    status, _ = _call(emulator, "POST", "faults/server_busy", {"back_off_ms": 100})
    assert (status, [r.kind for r in emulator.faults.active()]) == (
        200,
        ["server_busy"],
    )


def test_control_bad_json_is_400(emulator):
    request = urllib.request.Request(
        f"{emulator.base_url}/emulator/v1/mailboxes", data=b"{", method="POST"
    )
    try:
        urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as error:
        with error:
            assert error.code == 400


def test_cli_emulator_prints_url_and_stops_on_sigterm(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "exsync", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    try:
        url = process.stdout.readline().decode().strip()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/EWS/Exchange.asmx")
    assert (process.returncode, b"stopped" in stderr) == (0, True)


def test_cli_emulator_bad_seed_exits_with_config_error(tmp_path, runner):
    from exsync.cli import cli

    seed = tmp_path / "bad.toml"
    seed.write_text("[[mailboxes]\n")
    result = runner.invoke(cli, ["emulator", "--seed", str(seed)])
    assert (result.exit_code, "cannot read seed" in result.stderr) == (3, True)


def test_control_created_contact_reaches_ews_sync(emulator):
    from conftest import make_account

    _call(emulator, "POST", f"mailboxes/{ALICE}/contacts", {"display_name": "Both"})
    folder = make_account(emulator).contacts
    changes = list(folder.sync_items(sync_state=None, only_fields=["display_name"]))
    assert "Both" in [item.display_name for _, item in changes]
