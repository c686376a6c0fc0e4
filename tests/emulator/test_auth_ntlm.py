"""NTLM against the emulator, through exchangelib's own NTLM support."""

from __future__ import annotations

import pytest
from conftest import ALICE, PASSWORD, SERVICE
from exchangelib import (
    IMPERSONATION,
    NTLM,
    Account,
    Configuration,
    Credentials,
    FailFast,
    Version,
)
from exchangelib.errors import UnauthorizedError
from exchangelib.protocol import close_connections
from exchangelib.version import EXCHANGE_2016


def _ntlm_account(emu, password):
    close_connections()
    config = Configuration(
        service_endpoint=emu.url,
        credentials=Credentials(SERVICE, password),
        auth_type=NTLM,
        version=Version(build=EXCHANGE_2016),
        retry_policy=FailFast(),
    )
    return Account(ALICE, config=config, autodiscover=False, access_type=IMPERSONATION)


def test_ntlm_right_password_serves_requests(emulator):
    account = _ntlm_account(emulator, PASSWORD)
    assert account.contacts.total_count == 2


def test_ntlm_wrong_password_is_unauthorized(emulator):
    account = _ntlm_account(emulator, "not-the-password")
    with pytest.raises(UnauthorizedError):
        account.contacts.total_count  # noqa: B018 - the lookup is the test
