"""Exchange Web Services through exchangelib: the only module importing it.

:class:`ExchangeClient` builds one exchangelib configuration for the run
(version and authentication type fixed, so no probing requests; a bounded
connection pool shared by the worker threads). :class:`Mailbox` reads one
impersonated mailbox's Contacts folder with ``SyncFolderItems``, one
request per :meth:`Mailbox.sync_page` call, asking only for the fields
:mod:`exsync.mapping` maps. The folder is named by its distinguished id
with the mailbox, so an idle incremental run costs exactly one request
(``account.contacts`` would first spend two ``GetFolder`` requests).

exchangelib's errors are translated into :mod:`exsync.errors` exceptions
carrying a ``failure_code`` from :mod:`exsync.failures`' catalogue.
Throttling is waited out here, as long as the wait ends before the run's
deadline.
"""

from __future__ import annotations

import logging
import re
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from exchangelib import (
    BASIC,
    IMPERSONATION,
    NTLM,
    OAUTH2,
    Account,
    Configuration,
    Credentials,
    HTMLBody,
    Identity,
    OAuth2Credentials,
    Version,
)
from exchangelib import errors as ews_errors
from exchangelib.ewsdatetime import UTC
from exchangelib.fields import FieldPath
from exchangelib.items import Contact
from exchangelib.properties import DistinguishedFolderId, ItemId
from exchangelib.properties import Mailbox as EwsMailbox
from exchangelib.protocol import FailFast, close_connections
from exchangelib.services import GetItem, SyncFolderItems
from exchangelib.version import (
    EXCHANGE_2010_SP2,
    EXCHANGE_2013,
    EXCHANGE_2016,
)

from exsync.config import ExchangeSettings
from exsync.credentials import reveal
from exsync.errors import (
    ExchangeAuthError,
    ExchangeUnreachableError,
    ExsyncError,
)

log = logging.getLogger(__name__)

_BUILDS = {
    "Exchange2010": EXCHANGE_2010_SP2,
    "Exchange2013": EXCHANGE_2013,
    "Exchange2016": EXCHANGE_2016,
}
_AUTH_TYPES = {"basic": BASIC, "ntlm": NTLM, "oauth2": OAUTH2}
# The contact fields read from Exchange: what exsync.mapping maps, plus
# what decides the scope. Photos are never asked for.
SYNC_FIELDS = (
    "display_name",
    "given_name",
    "middle_name",
    "surname",
    "company_name",
    "job_title",
    "department",
    "email_addresses",
    "phone_numbers",
    "physical_addresses",
    "birthday",
    "body",
    "business_homepage",
    "categories",
    "sensitivity",
    "item_class",
)
# Waits after a dropped connection, when the server named no back-off.
_RECONNECT_WAITS = (0.2, 1.0, 3.0)
_MAX_BUSY_RETRIES = 8
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


@dataclass(frozen=True)
class Change:
    """One entry of a SyncFolderItems page.

    ``kind`` is ``"upsert"`` (created or updated) or ``"delete"``.
    ``contact`` is the item's fields as a plain dict (the keys of
    :mod:`exsync.mapping`), ``None`` for deletes; ``is_contact`` is false for
    contact groups and other item types, which exsync ignores.
    """

    kind: str
    item_id: str
    change_key: str | None = None
    contact: dict[str, Any] | None = None
    is_contact: bool = True


@dataclass(frozen=True)
class Page:
    """The changes one SyncFolderItems request returned, and the state after it."""

    changes: list[Change] = field(default_factory=list)
    state: str = ""
    last: bool = True


@dataclass(frozen=True)
class MailboxCheck:
    """What ``exsync doctor`` learns about one mailbox."""

    reachable: bool
    contacts: int
    in_category: int


class ExchangeClient:
    """The connection settings and pool for one run; hands out mailboxes."""

    def __init__(self, settings: ExchangeSettings, *, concurrency: int = 4) -> None:
        self._settings = settings
        self._concurrency = max(1, concurrency)
        self._config: Configuration | None = None

    def mailbox(self, email: str, *, deadline: float | None = None) -> Mailbox:
        """A handle on ``email``'s mailbox, impersonated by the service account.

        ``deadline`` (a ``time.monotonic()`` value) bounds waiting out
        throttling. Raises :class:`CredentialError` when a secret is unset.
        """
        account = Account(
            primary_smtp_address=email,
            config=self._configuration(email),
            autodiscover=False,
            access_type=IMPERSONATION,
            default_timezone=UTC,
        )
        return Mailbox(account, deadline=deadline)

    def close(self) -> None:
        """Close the pooled connections (exchangelib caches them per endpoint)."""
        close_connections()
        self._config = None

    def _configuration(self, email: str) -> Configuration:
        if self._config is None:
            settings = self._settings
            self._config = Configuration(
                service_endpoint=settings.url,
                credentials=_credentials(settings, email),
                auth_type=_AUTH_TYPES[settings.auth],
                version=Version(build=_BUILDS[settings.version]),
                retry_policy=_RetryAfterPolicy(),
                max_connections=self._concurrency,
            )
        return self._config


class Mailbox:
    """One mailbox's Contacts folder, read through SyncFolderItems."""

    def __init__(self, account: Account, *, deadline: float | None = None) -> None:
        self._account = account
        self._deadline = deadline
        self._folder = DistinguishedFolderId(
            id="contacts",
            mailbox=EwsMailbox(email_address=account.primary_smtp_address),
        )
        self._fields = {
            FieldPath(field=Contact.get_field_by_fieldname(name))
            for name in SYNC_FIELDS
        }

    def sync_page(self, state: str | None, batch_size: int) -> Page:
        """Send ONE SyncFolderItems request from ``state`` (``None``: from scratch).

        Raises :class:`SyncStateInvalidError` when Exchange refuses the state,
        and the translated connection and permission errors.
        """
        return self._with_retry(lambda: self._request_page(state, batch_size))

    def fetch(self, item_ids: Iterable[str]) -> list[dict[str, Any] | None]:
        """The contacts with these ids; ``None`` for one that no longer exists."""
        ids = [ItemId(id=item_id) for item_id in item_ids]
        if not ids:
            return []
        return self._with_retry(lambda: self._request_items(ids))

    def check_access(self, category: str) -> MailboxCheck:
        """Walk the folder once: whether it is reachable, its size, how many match."""
        contacts = matching = 0
        state, last = None, False
        while not last:
            page = self.sync_page(state, 512)
            for change in page.changes:
                if change.is_contact and change.contact is not None:
                    contacts += 1
                    categories = change.contact.get("categories") or []
                    matching += any(
                        c.casefold() == category.casefold() for c in categories
                    )
            state, last = page.state, page.last
        return MailboxCheck(reachable=True, contacts=contacts, in_category=matching)

    def _request_page(self, state: str | None, batch_size: int) -> Page:
        service = SyncFolderItems(account=self._account)
        entries = service.call(
            folder=self._folder,
            shape="IdOnly",
            additional_fields=self._fields,
            sync_state=state,
            ignore=None,
            max_changes_returned=batch_size,
            sync_scope=None,
        )
        changes = []
        for entry in entries:
            # exchangelib yields some per-message errors instead of raising.
            if isinstance(entry, Exception):
                raise entry
            if isinstance(entry, tuple):
                changes.append(_change_from_entry(*entry))
        new_state = service.sync_state or state or ""
        return Page(
            changes=[change for change in changes if change is not None],
            state=new_state,
            last=bool(service.includes_last_item_in_range) or new_state == state,
        )

    def _request_items(self, ids: list[ItemId]) -> list[dict[str, Any] | None]:
        service = GetItem(account=self._account, chunk_size=100)
        results = []
        for item in service.call(
            items=ids,
            additional_fields=self._fields,
            shape="IdOnly",
        ):
            if isinstance(item, ews_errors.ErrorItemNotFound):
                results.append(None)
            elif isinstance(item, Exception):
                raise item
            else:
                results.append(_contact_dict(item))
        return results

    def _with_retry(self, request: Callable[[], _T]) -> _T:
        attempt = 0
        while True:
            try:
                return _translate_errors(request)
            except _Retryable as retry:
                wait = retry.wait_seconds(attempt)
                if attempt >= retry.max_attempts or not self._can_wait(wait):
                    raise retry.final from retry.final.__cause__
                log.info("retrying in %.1f s: %s", wait, retry.final.message)
                time.sleep(wait)
                attempt += 1

    def _can_wait(self, seconds: float) -> bool:
        if self._deadline is None:
            return True
        return time.monotonic() + seconds < self._deadline


class _Retryable(Exception):
    """Internal: a transient error, with the error to raise if retries end."""

    def __init__(self, final: ExsyncError, back_off: float | None) -> None:
        super().__init__(final.message)
        self.final = final
        self.back_off = back_off
        # A server's back-off is honoured while the slot lasts; a lost
        # connection is retried only a few times.
        self.max_attempts = (
            _MAX_BUSY_RETRIES if back_off is not None else len(_RECONNECT_WAITS)
        )

    def wait_seconds(self, attempt: int) -> float:
        if self.back_off is not None:
            return self.back_off
        return _RECONNECT_WAITS[min(attempt, len(_RECONNECT_WAITS) - 1)]


class _RetryAfterPolicy(FailFast):
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


def _translate_errors(request: Callable[[], _T]) -> _T:
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
        raise _Retryable(final, error.back_off) from error
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


def _is_tls_failure(error: BaseException) -> bool:
    # exchangelib raises TransportError(str(e)) inside its SSLError handler,
    # so the TLS error is the implicit context.
    link: BaseException | None = error
    while link is not None:
        if isinstance(link, (ssl.SSLError, requests.exceptions.SSLError)):
            return True
        link = link.__cause__ or link.__context__
    return bool(_TLS_WORDS.search(str(error)))


def _credentials(settings: ExchangeSettings, email: str) -> Any:
    if settings.auth == "oauth2":
        return OAuth2Credentials(
            client_id=settings.client_id,
            client_secret=reveal(settings.client_secret),
            tenant_id=settings.tenant_id,
            identity=Identity(primary_smtp_address=email),
        )
    return Credentials(settings.username, reveal(settings.password))


def _change_from_entry(kind: str, item: Any) -> Change | None:
    if kind == SyncFolderItems.DELETE:
        return Change(kind="delete", item_id=item.id)
    if kind == SyncFolderItems.READ_FLAG_CHANGE:
        return None
    if isinstance(item, Contact):
        return Change(
            kind="upsert",
            item_id=item.id,
            change_key=item.changekey,
            contact=_contact_dict(item),
        )
    return Change(
        kind="upsert",
        item_id=item.id,
        change_key=getattr(item, "changekey", None),
        is_contact=False,
    )


def _contact_dict(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, Contact):
        return None
    body = item.body
    return {
        "display_name": item.display_name,
        "given_name": item.given_name,
        "middle_name": item.middle_name,
        "surname": item.surname,
        "company_name": item.company_name,
        "job_title": item.job_title,
        "department": item.department,
        "email_addresses": {e.label: e.email for e in item.email_addresses or []},
        "phone_numbers": {p.label: p.phone_number for p in item.phone_numbers or []},
        "physical_addresses": {
            a.label: {
                "street": a.street,
                "city": a.city,
                "state": a.state,
                "country": a.country,
                "zipcode": a.zipcode,
            }
            for a in item.physical_addresses or []
        },
        "birthday": item.birthday,
        "body": str(body) if body is not None else None,
        "body_type": "HTML" if isinstance(body, HTMLBody) else "Text",
        "business_homepage": item.business_homepage,
        "categories": list(item.categories or []),
        "sensitivity": item.sensitivity,
    }
