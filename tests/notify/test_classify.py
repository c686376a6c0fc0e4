"""The catalogue of failure messages and the classification of errors."""

from __future__ import annotations

import sqlite3
import ssl

import pytest
from exchangelib import errors as ews

from exsync.errors import (
    CredentialError,
    ExchangeAuthError,
    ExchangeUnreachableError,
    ExitCode,
    StoreError,
)
from exsync.failures import CATALOGUE, FailureKind, classify, describe_error


def _raised_from(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as error:
            raise outer from error
    except BaseException as caught:
        return caught


def _raised_during(outer: BaseException, inner: BaseException) -> BaseException:
    # exchangelib's way: a new error raised inside the except block.
    try:
        try:
            raise inner
        except BaseException:
            raise outer  # noqa: B904 - the implicit context is what is tested
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ews.UnauthorizedError("Invalid credentials for https://x/"), "auth-failed"),
        (ews.ErrorImpersonateUserDenied("denied"), "impersonation-denied"),
        (ews.ErrorNonExistentMailbox("no such mailbox"), "mailbox-not-found"),
        (ews.ErrorServerBusy("busy", back_off=2.0), "throttled"),
        (ews.RateLimitError("Max timeout reached", wait=60), "throttled"),
        (
            ews.ErrorTimeoutExpired("Reraised from ConnectionError"),
            "exchange-unreachable",
        ),
        (ews.ErrorInvalidSyncStateData("bad state"), "sync-state-reset"),
        (ews.ErrorItemNotFound("gone"), "item-vanished"),
        (ews.ErrorAccessDenied("no"), "access-denied"),
        (ews.ErrorMailboxMoveInProgress("moving"), "mailbox-unavailable"),
        (ews.ErrorInternalServerError("boom"), "server-error"),
        (ews.TransportError("something odd"), "exchange-unreachable"),
        (ExchangeAuthError("refused"), "auth-failed"),
        (ExchangeUnreachableError("down"), "exchange-unreachable"),
        (StoreError("disk full"), "store-error"),
        (sqlite3.OperationalError("database is locked"), "store-error"),
        (CredentialError("EXSYNC_PASSWORD is not set"), "config-error"),
        (ConnectionRefusedError(111, "Connection refused"), "exchange-unreachable"),
        (ssl.SSLCertVerificationError("certificate verify failed"), "tls-failure"),
        (KeyError("x"), "unexpected"),
    ],
)
def test_classify_known_error_gives_its_code(error, code):
    kind, _ = classify(error)

    assert kind.code == code


def test_classify_broad_error_from_specific_cause_gives_the_cause_code():
    error = _raised_from(
        ExchangeAuthError("Exchange refused"), ews.ErrorImpersonateUserDenied("no")
    )

    assert classify(error)[0].code == "impersonation-denied"


def test_classify_transport_error_raised_during_ssl_error_gives_tls_failure():
    error = _raised_during(
        ews.TransportError("handshake"), ssl.SSLError(1, "wrong version number")
    )

    assert classify(error)[0].code == "tls-failure"


def test_classify_transport_error_naming_certificate_gives_tls_failure():
    error = ews.TransportError(
        "HTTPSConnectionPool: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
        "failed: self-signed certificate"
    )

    assert classify(error)[0].code == "tls-failure"


def test_classify_error_with_failure_code_attribute_gives_that_code():
    error = ExchangeUnreachableError("down")
    error.failure_code = "throttled"

    assert classify(error)[0].code == "throttled"


def test_classify_error_with_unknown_failure_code_ignores_it():
    error = StoreError("disk full")
    error.failure_code = "no-such-code"

    assert classify(error)[0].code == "store-error"


def test_classify_safety_stop_gives_deletes_need_confirmation():
    from exsync.sync.apply import DeletesNeedConfirmationError

    error = DeletesNeedConfirmationError("would delete 9 of 10 contacts")

    assert classify(error)[0].code == "deletes-need-confirmation"


def test_classify_auth_failure_exits_with_exchange_auth_code():
    kind, _ = classify(ews.UnauthorizedError("Invalid credentials"))

    assert kind.exit_code is ExitCode.EXCHANGE_AUTH


def test_describe_error_password_in_url_is_redacted():
    detail = describe_error(
        ews.TransportError("cannot reach https://svc:Hunter2secret@mail.example.com/")
    )

    assert "Hunter2secret" not in detail
    assert "https://***@mail.example.com/" in detail


def test_describe_error_password_setting_is_redacted():
    detail = describe_error(ValueError("login failed, password=Hunter2secret"))

    assert detail == "ValueError: login failed, password=***"


def test_describe_error_authorization_header_is_redacted():
    detail = describe_error(ValueError("sent Authorization: Basic c3ZjOkh1bnRlcjI="))

    assert "c3ZjOkh1bnRlcjI=" not in detail


def test_describe_error_multiline_text_becomes_one_line():
    detail = describe_error(StoreError("cannot write\n  the store"))

    assert detail == "StoreError: cannot write the store"


def test_describe_error_long_text_is_cut():
    detail = describe_error(ValueError("x" * 1000))

    assert len(detail) == 300
    assert detail.endswith("…")


def test_describe_error_object_address_is_removed():
    detail = describe_error(
        OSError("<urllib3.connection.HTTPConnection object at 0x7f3a2c>: refused")
    )

    assert detail == "OSError: <urllib3.connection.HTTPConnection>: refused"


def test_catalogue_every_entry_has_title_and_advice():
    for code, kind in CATALOGUE.items():
        assert isinstance(kind, FailureKind)
        assert kind.code == code
        assert kind.title and "\n" not in kind.title
        assert len(kind.advice) > 40


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot print")


def test_classify_error_that_cannot_be_printed_still_gives_its_name():
    kind, detail = classify(_Unprintable())

    assert (kind.code, detail) == ("unexpected", "_Unprintable")
