"""Faults on demand, as exchangelib sees them."""

from __future__ import annotations

import time

import pytest
from conftest import ALICE, make_account
from exchangelib.errors import (
    ErrorServerBusy,
    ErrorTimeoutExpired,
    TransportError,
    UnauthorizedError,
)


def test_server_busy_fault_carries_back_off(emulator):
    account = make_account(emulator)
    emulator.faults.server_busy(back_off_ms=1500)
    with pytest.raises(ErrorServerBusy) as caught:
        account.contacts.total_count  # noqa: B018 - the lookup is the test
    assert caught.value.back_off == 1.5


def test_server_busy_as_response_code_raises_busy(emulator):
    account = make_account(emulator)
    account.contacts.total_count  # noqa: B018 - load the folder first
    emulator.faults.server_busy(as_fault=False, operation="SyncFolderItems")
    with pytest.raises(ErrorServerBusy):
        list(account.contacts.sync_items(sync_state=None))


def test_server_busy_limited_to_operation_spares_others(emulator):
    account = make_account(emulator)
    rule = emulator.faults.server_busy(operation="SyncFolderItems")
    assert account.contacts.total_count == 2
    assert rule in emulator.faults.active()


def test_http_503_is_transient_busy(emulator):
    account = make_account(emulator)
    emulator.faults.http_status(503, retry_after=1)
    with pytest.raises((ErrorServerBusy, TransportError)):
        account.contacts.total_count  # noqa: B018 - the lookup is the test


def test_http_401_is_unauthorized(emulator):
    account = make_account(emulator)
    emulator.faults.http_status(401)
    with pytest.raises(UnauthorizedError):
        account.contacts.total_count  # noqa: B018 - the lookup is the test


def test_dropped_connection_is_timeout_error(emulator):
    account = make_account(emulator)
    emulator.faults.drop_connection()
    with pytest.raises((ErrorTimeoutExpired, TransportError)):
        account.contacts.total_count  # noqa: B018 - the lookup is the test


def test_latency_delays_each_request_until_removed(emulator):
    account = make_account(emulator)
    rule = emulator.faults.latency(0.2)
    started = time.perf_counter()
    account.contacts.total_count  # noqa: B018 - two requests
    slow = time.perf_counter() - started
    rule.remove()
    assert slow >= 0.4
    assert emulator.faults.active() == []


def test_fault_count_expires(emulator):
    emulator.faults.server_busy(count=1)
    assert emulator.faults.take("server_busy", "GetFolder", ALICE) is not None
    assert emulator.faults.take("server_busy", "GetFolder", ALICE) is None


def test_http_fault_is_journaled_with_its_status(emulator):
    account = make_account(emulator)
    emulator.faults.http_status(503, retry_after=1)
    with pytest.raises((ErrorServerBusy, TransportError)):
        account.contacts.total_count  # noqa: B018 - the lookup is the test
    first = emulator.journal[0]
    assert (first.operation, first.status, first.response_code) == (
        "GetFolder",
        503,
        "HTTP",
    )
