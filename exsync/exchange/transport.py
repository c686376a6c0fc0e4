"""How exsync talks to EWS: HTTP adapter, retries, and error translation.

Part of :mod:`exsync.exchange`, the only package importing exchangelib.
exchangelib's errors become :mod:`exsync.errors` exceptions carrying a
``failure_code`` from :mod:`exsync.failures`' catalogue where exsync knows
better than the class name. Throttling is waited out here, as long as the
wait ends before the run's deadline.
"""

from __future__ import annotations

import logging
import re
import ssl
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from exchangelib import errors as ews_errors
from exchangelib.protocol import BaseProtocol, FailFast, NoVerifyHTTPAdapter

from exsync.errors import (
    ExchangeAuthError,
    ExchangeUnreachableError,
    ExsyncError,
)
from exsync.failures import describe_error

log = logging.getLogger(__name__)

# Waits after a dropped connection, when the server named no back-off.
_RECONNECT_WAITS = (0.2, 1.0, 3.0)
# Waits when Exchange is busy but named no back-off (ErrorServerBusy as a
# response code): a few short tries, then the next run carries on.
_BUSY_WAITS = (1.0, 3.0, 6.0)
_MAX_BUSY_RETRIES = 8
READ_CHUNK_BYTES = 64 * 1024
_TLS_WORDS = re.compile(r"ssl|tls|certificate|handshake", re.IGNORECASE)
_T = TypeVar("_T")


class ImpersonationDeniedError(ExchangeAuthError):
    """The service account may not impersonate the mailbox."""

    failure_code = "impersonation-denied"


class MailboxNotFoundError(ExsyncError):
    """No mailbox has the operator's address."""

    failure_code = "mailbox-not-found"


class ThrottledError(ExchangeUnreachableError):
    """Exchange asked to back off for longer than the run's slot allows."""

    failure_code = "throttled"


class TlsError(ExchangeUnreachableError):
    """The TLS handshake with Exchange failed."""

    failure_code = "tls-failure"


class SyncStateInvalidError(ExsyncError):
    """Exchange refused the stored sync state; a full walk must follow."""

    failure_code = "sync-state-reset"


def call_with_retry(request: Callable[[], _T], deadline: float | None) -> _T:
    """Run ``request``, translating errors and waiting out transient ones.

    Waits only while the wait ends before ``deadline`` (``time.monotonic()``).
    Raises the translated error once retries or time run out.
    """
    attempt = 0
    while True:
        try:
            return translate_errors(request)
        except _Retryable as retry:
            wait = retry.wait_seconds(attempt)
            late = deadline is not None and time.monotonic() + wait >= deadline
            if attempt >= retry.max_attempts or late:
                raise retry.final from retry.final.__cause__
            # The root cause in a few words, not exchangelib's nested
            # "Reraised from ..." text.
            log.info("retrying in %.1f s: %s", wait, describe_error(retry.final))
            time.sleep(wait)
            attempt += 1


class _Retryable(Exception):
    """Internal: a transient error, with the error to raise if retries end."""

    def __init__(
        self,
        final: ExsyncError,
        back_off: float | None,
        waits: tuple[float, ...] = _RECONNECT_WAITS,
    ) -> None:
        super().__init__(final.message)
        self.final = final
        self.back_off = back_off
        self.waits = waits
        # A server's back-off is honoured while the slot lasts; anything
        # else is retried only a few times.
        self.max_attempts = _MAX_BUSY_RETRIES if back_off is not None else len(waits)

    def wait_seconds(self, attempt: int) -> float:
        if self.back_off is not None:
            return self.back_off
        return self.waits[min(attempt, len(self.waits) - 1)]


class _BulkReadResponse(requests.Response):
    """A response whose ``iter_content()`` yields 64 KiB chunks by default.

    exchangelib parses every response from ``response.iter_content()``,
    whose default chunk is one byte: about 1.7 million Python calls for a
    1.5 MB page, roughly half the client's CPU. Reading 64 KiB at a time
    gives lxml the same bytes in a few dozen calls. Safe to drop (remove
    ``bulk_read``) once exchangelib passes a chunk size itself.
    """

    def iter_content(self, chunk_size=READ_CHUNK_BYTES, decode_unicode=False):
        return super().iter_content(chunk_size, decode_unicode)


class _ExsyncAdapter(requests.adapters.HTTPAdapter):
    """The HTTP adapter exchangelib's sessions use: bulk reads, if chosen."""

    bulk_read = True

    def build_response(self, req, resp):
        response = super().build_response(req, resp)
        if self.bulk_read:
            response.__class__ = _BulkReadResponse
        return response


class _NoVerifyAdapter(_ExsyncAdapter, NoVerifyHTTPAdapter):
    """The same, without checking the server's certificate (verify_tls off)."""


def adapter_class(verify_tls: bool, bulk_read: bool) -> type:
    """The HTTP adapter class for exchangelib's sessions with these choices."""
    base = _ExsyncAdapter if verify_tls else _NoVerifyAdapter
    return type(base.__name__, (base,), {"bulk_read": bulk_read})


class RetryAfterPolicy(FailFast):
    """Fail fast, but keep the server's Retry-After on HTTP 503 and 302 pages.

    exchangelib's fault-tolerant policy retries HTTP 401 as throttling and
    waits on its own schedule; exsync waits in :meth:`Mailbox._with_retry`
    instead, bounded by the run's deadline.
    """

    def raise_response_errors(self, response: Any) -> None:
        try:
            super().raise_response_errors(response)
        except (
            ews_errors.ErrorInternalServerTransientError,
            ews_errors.ErrorServerBusy,
        ) as error:
            retry_after = _retry_after_seconds(response)
            if retry_after is None:
                raise
            raise ews_errors.ErrorServerBusy(
                error.args[0] if error.args else "server busy", back_off=retry_after
            ) from error


def _retry_after_seconds(response: Any) -> float | None:
    try:
        value = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return value if value > 0 else None


def translate_errors(request: Callable[[], _T]) -> _T:
    """Run ``request``; raise its exchangelib error as an exsync one.

    Transient errors come out as :class:`_Retryable`, for
    :func:`call_with_retry`; errors exsync has no better word for pass
    through unchanged, for :func:`exsync.failures.classify`.
    """
    try:
        return request()
    except ews_errors.ErrorInvalidSyncStateData as error:
        raise SyncStateInvalidError("Exchange refused the stored sync state") from error
    except ews_errors.ErrorServerBusy as error:
        # exchangelib turns dropped connections into ErrorServerBusy with a
        # made-up back-off; only a server's own back-off is honoured as is.
        if str(error).startswith("Reraised from ErrorTimeoutExpired"):
            final = ExchangeUnreachableError(f"Exchange did not answer: {error}")
            final.__cause__ = error.__context__ or error
            raise _Retryable(final, None) from error
        final = ThrottledError(
            "Exchange is busy and asked exsync to back off",
            hint="the next run continues where this one stopped.",
        )
        final.__cause__ = error
        raise _Retryable(final, _named_back_off(error), _BUSY_WAITS) from error
    except ews_errors.ErrorTimeoutExpired as error:
        final = ExchangeUnreachableError(f"Exchange did not answer: {error}")
        final.__cause__ = error
        raise _Retryable(final, None) from error
    except ews_errors.UnauthorizedError as error:
        raise ExchangeAuthError(
            "Exchange refused the service account's credentials",
            hint="check the user name, the password source and the auth type.",
        ) from error
    except ews_errors.ErrorImpersonateUserDenied as error:
        raise ImpersonationDeniedError(
            "the service account may not impersonate this mailbox"
        ) from error
    except (
        ews_errors.ErrorNonExistentMailbox,
        ews_errors.ErrorMailRecipientNotFound,
    ) as error:
        raise MailboxNotFoundError("no mailbox has this address") from error
    except ews_errors.TransportError as error:
        # Every EWS response error derives from TransportError; only the bare
        # class is raised for transport trouble (TLS, redirects).
        if type(error) is not ews_errors.TransportError:
            raise
        if _is_tls_failure(error):
            raise TlsError(f"cannot connect to Exchange securely: {error}") from error
        raise ExchangeUnreachableError(f"cannot reach Exchange: {error}") from error


def _named_back_off(error: ews_errors.ErrorServerBusy) -> float | None:
    # For ErrorServerBusy as a response code exchangelib drops the server's
    # BackOffMilliseconds and fills in its own RETRY_WAIT (10 s); honoured
    # eight times over, that made a busy mailbox hold a run for 80 s.
    back_off = error.back_off
    if not back_off or back_off == BaseProtocol.RETRY_WAIT:
        return None
    return back_off


def _is_tls_failure(error: BaseException) -> bool:
    # exchangelib raises TransportError(str(e)) inside its SSLError handler,
    # so the TLS error is the implicit context.
    link: BaseException | None = error
    while link is not None:
        if isinstance(link, (ssl.SSLError, requests.exceptions.SSLError)):
            return True
        link = link.__cause__ or link.__context__
    return bool(_TLS_WORDS.search(str(error)))
