"""Exchange Web Services through exchangelib: the only package importing it.

:class:`ExchangeClient` builds one exchangelib configuration for the run
(version and authentication type fixed, so no probing requests; a bounded
connection pool shared by the worker threads). :class:`Mailbox` reads one
impersonated mailbox's Contacts folder with ``SyncFolderItems``, one
request per :meth:`Mailbox.sync_page` call, asking only for the fields
:mod:`exsync.mapping` maps. The folder is named by its distinguished id
with the mailbox, so an idle incremental run costs exactly one request
(``account.contacts`` would first spend two ``GetFolder`` requests).

Errors, retries and the HTTP adapter live in :mod:`exsync.exchange.transport`;
items as plain data in :mod:`exsync.exchange.items`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from exchangelib import (
    BASIC,
    IMPERSONATION,
    NTLM,
    OAUTH2,
    Account,
    Configuration,
    Credentials,
    OAuth2Credentials,
    Version,
)
from exchangelib import errors as ews_errors
from exchangelib.ewsdatetime import UTC
from exchangelib.fields import FieldPath
from exchangelib.items import Contact
from exchangelib.properties import DistinguishedFolderId, ItemId
from exchangelib.properties import Mailbox as EwsMailbox
from exchangelib.protocol import BaseProtocol, close_connections
from exchangelib.services import GetItem, SyncFolderItems
from exchangelib.version import EXCHANGE_2010_SP2, EXCHANGE_2013, EXCHANGE_2016

from exsync.config import ExchangeSettings
from exsync.credentials import reveal
from exsync.exchange.items import (
    SYNC_FIELDS,
    Change,
    Page,
    change_from_entry,
    contact_dict,
)
from exsync.exchange.transport import (
    ImpersonationDeniedError,
    MailboxNotFoundError,
    RetryAfterPolicy,
    SyncStateInvalidError,
    ThrottledError,
    TlsError,
    adapter_class,
    call_with_retry,
)

__all__ = [
    "SYNC_FIELDS",
    "Change",
    "ExchangeClient",
    "ImpersonationDeniedError",
    "Mailbox",
    "MailboxCheck",
    "MailboxNotFoundError",
    "Page",
    "SyncStateInvalidError",
    "ThrottledError",
    "TlsError",
]

log = logging.getLogger(__name__)

_BUILDS = {
    "Exchange2010": EXCHANGE_2010_SP2,
    "Exchange2013": EXCHANGE_2013,
    "Exchange2016": EXCHANGE_2016,
}
_AUTH_TYPES = {"basic": BASIC, "ntlm": NTLM, "oauth2": OAUTH2}
_T = TypeVar("_T")


@dataclass(frozen=True)
class MailboxCheck:
    """What ``exsync doctor`` learns about one mailbox."""

    reachable: bool
    contacts: int
    in_category: int


class ExchangeClient:
    """The connection settings and pool for one run; hands out mailboxes."""

    def __init__(
        self,
        settings: ExchangeSettings,
        *,
        concurrency: int = 4,
        bulk_read: bool = True,
    ) -> None:
        self._settings = settings
        self._concurrency = max(1, concurrency)
        self._config: Configuration | None = None
        self._lock = threading.Lock()
        self._adapter = adapter_class(settings.verify_tls, bulk_read)
        self._previous_adapter = BaseProtocol.HTTP_ADAPTER_CLS

    def mailbox(self, email: str, *, deadline: float | None = None) -> Mailbox:
        """A handle on ``email``'s mailbox, impersonated by the service account.

        ``deadline`` (a ``time.monotonic()`` value) bounds waiting out
        throttling. Raises :class:`CredentialError` when a secret is unset.
        """
        account = Account(
            primary_smtp_address=email,
            config=self._configuration(),
            autodiscover=False,
            access_type=IMPERSONATION,
            default_timezone=UTC,
        )
        return Mailbox(
            account, deadline=deadline, timeout=self._settings.timeout_seconds
        )

    def close(self) -> None:
        """Close the pooled connections (exchangelib caches them per endpoint)."""
        close_connections()
        BaseProtocol.HTTP_ADAPTER_CLS = self._previous_adapter
        self._config = None

    def _configuration(self) -> Configuration:
        with self._lock:
            if self._config is None:
                self._config = self._build_configuration()
            return self._config

    def _build_configuration(self) -> Configuration:
        settings = self._settings
        # exchangelib's documented hook for a custom HTTP adapter; it is read
        # when the first session opens.
        BaseProtocol.HTTP_ADAPTER_CLS = self._adapter
        return Configuration(
            service_endpoint=settings.url,
            credentials=_credentials(settings),
            auth_type=_AUTH_TYPES[settings.auth],
            version=Version(build=_BUILDS[settings.version]),
            retry_policy=RetryAfterPolicy(),
            max_connections=self._concurrency,
        )


class Mailbox:
    """One mailbox's Contacts folder, read through SyncFolderItems."""

    def __init__(
        self,
        account: Account,
        *,
        deadline: float | None = None,
        timeout: float | None = None,
    ) -> None:
        self._account = account
        self._deadline = deadline
        self._timeout = timeout  # seconds per request
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
                        c.strip().casefold() == category.strip().casefold()
                        for c in categories
                    )
            state, last = page.state, page.last
        return MailboxCheck(reachable=True, contacts=contacts, in_category=matching)

    def _request_page(self, state: str | None, batch_size: int) -> Page:
        service = SyncFolderItems(account=self._account, timeout=self._timeout)
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
                changes.append(change_from_entry(*entry))
        new_state = service.sync_state or state or ""
        return Page(
            changes=[change for change in changes if change is not None],
            state=new_state,
            last=bool(service.includes_last_item_in_range) or new_state == state,
        )

    def _request_items(self, ids: list[ItemId]) -> list[dict[str, Any] | None]:
        service = GetItem(account=self._account, chunk_size=100, timeout=self._timeout)
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
                results.append(contact_dict(item))
        return results

    def _with_retry(self, request: Callable[[], _T]) -> _T:
        return call_with_retry(request, self._deadline)


def _credentials(settings: ExchangeSettings) -> Any:
    # With OAuth2 too, impersonation comes from the account's access type.
    if settings.auth == "oauth2":
        return OAuth2Credentials(
            client_id=settings.client_id,
            client_secret=reveal(settings.client_secret),
            tenant_id=settings.tenant_id,
        )
    return Credentials(settings.username, reveal(settings.password))
