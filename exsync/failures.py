"""The catalogue of failure messages, and which one an error belongs to.

Every mailbox that fails is recorded with a code from :data:`CATALOGUE`.
The code is what ``exsync status`` shows and what a failure email names;
its advice is what the administrator should do about it. :func:`classify`
picks the entry for an error without importing exchangelib: it matches the
names of the error's classes, and of the errors it was raised from, so it
accepts exchangelib's own errors and the :mod:`exsync.errors` ones that
:mod:`exsync.exchange` raises in their place alike.

An exception may also name its entry outright with a ``failure_code``
attribute holding a code of the catalogue; that always wins.
"""

from __future__ import annotations

import re
import sqlite3
import ssl
from dataclasses import dataclass

from exsync.errors import ExitCode
from exsync.errortext import DETAIL_MAX_CHARS, collect_chain, describe_error

__all__ = [
    "CATALOGUE",
    "DETAIL_MAX_CHARS",
    "FailureKind",
    "classify",
    "describe_error",
]


@dataclass(frozen=True)
class FailureKind:
    """One entry of the catalogue of failure messages."""

    code: str
    title: str  # one line, for an email subject or a status table
    advice: str  # what the administrator should do
    retryable: bool  # whether the next run may succeed without anyone acting
    exit_code: ExitCode = ExitCode.PARTIAL  # for a run in which only this failed


_ENTRIES = (
    FailureKind(
        "auth-failed",
        "Exchange refused the service account's credentials",
        "Check the service account's user name and the password exsync reads "
        "(the environment variable or command named in config.toml), that the "
        "account is neither locked out nor expired, and that the "
        "authentication type (basic, ntlm, oauth2) is one the server accepts. "
        "Then run `exsync doctor`.",
        retryable=False,
        exit_code=ExitCode.EXCHANGE_AUTH,
    ),
    FailureKind(
        "impersonation-denied",
        "The service account may not impersonate this mailbox",
        "Give the service account the ApplicationImpersonation role for this "
        "mailbox (New-ManagementRoleAssignment -Role ApplicationImpersonation "
        "-User SERVICE-ACCOUNT, scoped to the sales team if you use a "
        "management scope), wait for Exchange to pick it up, then run "
        "`exsync doctor`.",
        retryable=False,
        exit_code=ExitCode.EXCHANGE_AUTH,
    ),
    FailureKind(
        "mailbox-not-found",
        "Exchange has no mailbox with this address",
        "Check that the operator's email address is the primary SMTP address "
        "of their mailbox. If the person has left, turn their sync off "
        "(`exsync enable-operator ADDRESS --disable`); if the address "
        "changed, correct it and run `exsync doctor`.",
        retryable=False,
    ),
    FailureKind(
        "access-denied",
        "The service account cannot open this mailbox's Contacts folder",
        "Impersonation worked, but Exchange refused access to the Contacts "
        "folder. Check the mailbox's folder permissions and any policy that "
        "restricts EWS access for this mailbox (Set-CASMailbox "
        "-EwsEnabled / -EwsApplicationAccessPolicy).",
        retryable=False,
    ),
    FailureKind(
        "mailbox-unavailable",
        "The mailbox is temporarily unavailable",
        "Exchange reported the mailbox as moving, failing over or its database "
        "as offline. Nothing to do unless it lasts; exsync tries again next "
        "run. If it persists, check the mailbox database's health.",
        retryable=True,
    ),
    FailureKind(
        "exchange-unreachable",
        "Exchange could not be reached",
        "Check that the Exchange URL in config.toml is right, that the server "
        "is up, and that this host can reach it (DNS, firewall, proxy). exsync "
        "tries again next run.",
        retryable=True,
        exit_code=ExitCode.EXCHANGE_UNREACHABLE,
    ),
    FailureKind(
        "tls-failure",
        "The secure connection to Exchange failed",
        "The server's certificate could not be verified, or the TLS handshake "
        "failed. Check that the certificate is valid, not expired and issued "
        "for the host name in the Exchange URL; for a private certificate "
        "authority, add its certificate to this host's trust store (or point "
        "REQUESTS_CA_BUNDLE at it). Never turn verification off.",
        retryable=False,
        exit_code=ExitCode.EXCHANGE_UNREACHABLE,
    ),
    FailureKind(
        "throttled",
        "Exchange is throttling the service account",
        "Exchange asked exsync to slow down for longer than the run could "
        "wait. exsync tries again next run. If it keeps happening, lower "
        "sync.concurrency or sync.batch_size, or give the service account a "
        "throttling policy with higher EWS limits (New-ThrottlingPolicy).",
        retryable=True,
    ),
    FailureKind(
        "server-error",
        "Exchange answered with an error",
        "Exchange failed while serving the request. exsync tries again next "
        "run; if it persists, look in the Exchange server's event log at the "
        "time of the failure.",
        retryable=True,
    ),
    FailureKind(
        "sync-state-reset",
        "Exchange refused the stored sync state",
        "Nothing to do: exsync walks the whole Contacts folder again and "
        "reconciles by item id, without duplicates. If this repeats on every "
        "run, check whether the mailbox is being moved or restored.",
        retryable=True,
    ),
    FailureKind(
        "item-vanished",
        "A contact disappeared while it was being read",
        "Nothing to do: the contact was deleted or moved in Exchange between "
        "two requests. The next run picks up the delete.",
        retryable=True,
    ),
    FailureKind(
        "store-error",
        "The CRM contact store could not be read or written",
        "Check that the store file named in config.toml exists, is writable "
        "by the user cron runs exsync as, that the disk is not full, and that "
        "no other program holds it locked for long.",
        retryable=False,
        exit_code=ExitCode.STORE,
    ),
    FailureKind(
        "deletes-need-confirmation",
        "The sync stopped before deleting an unusual share of the contacts",
        "Exchange reported more of this mailbox's synced contacts deleted than "
        "sync.max_delete_share allows in one run, so nothing was deleted. Check "
        "the mailbox in Outlook (a moved or emptied Contacts folder, a removed "
        "category); if the deletes are wanted, run `exsync sync --operator "
        "ADDRESS --confirm-deletes`.",
        retryable=False,
    ),
    FailureKind(
        "skip-rule-failed",
        "The skip rule raised an error",
        "The function named by sync.skip_contact failed. Fix it (run exsync "
        "with --debug to see the traceback) or remove the setting.",
        retryable=False,
    ),
    FailureKind(
        "config-error",
        "The configuration is not usable",
        "Run `exsync doctor` and correct config.toml as it says; a secret "
        "that cannot be read is reported here too.",
        retryable=False,
        exit_code=ExitCode.CONFIG,
    ),
    FailureKind(
        "unexpected",
        "An unexpected error stopped this mailbox's sync",
        "This is probably a bug in exsync. Run `exsync sync --operator "
        "ADDRESS --verbose` to see the traceback, and report it.",
        retryable=False,
        exit_code=ExitCode.BUG,
    ),
)

CATALOGUE: dict[str, FailureKind] = {kind.code: kind for kind in _ENTRIES}

# Class names that pin an error to an entry. They are looked up along each
# class's method resolution order, so a subclass of a listed name matches
# too. exchangelib's names come first; they are specific.
_SPECIFIC = {
    "UnauthorizedError": "auth-failed",
    "ErrorAccountDisabled": "auth-failed",
    "ErrorPasswordExpired": "auth-failed",
    "ErrorPasswordChangeRequired": "auth-failed",
    "ErrorInvalidLicense": "auth-failed",
    "ErrorImpersonateUserDenied": "impersonation-denied",
    "ErrorImpersonationDenied": "impersonation-denied",
    "ErrorImpersonationFailed": "impersonation-denied",
    "ErrorInvalidExchangeImpersonationHeaderData": "impersonation-denied",
    "ErrorNonExistentMailbox": "mailbox-not-found",
    "ErrorMailRecipientNotFound": "mailbox-not-found",
    "ErrorInvalidSmtpAddress": "mailbox-not-found",
    "ErrorNonPrimarySmtpAddress": "mailbox-not-found",
    "ErrorAccessDenied": "access-denied",
    "ErrorFolderNotFound": "access-denied",
    "ErrorSyncFolderNotFound": "access-denied",
    "ErrorMailboxMoveInProgress": "mailbox-unavailable",
    "ErrorMailboxStoreUnavailable": "mailbox-unavailable",
    "ErrorMailboxFailover": "mailbox-unavailable",
    "ErrorMailboxLogonFailed": "mailbox-unavailable",
    "ErrorADUnavailable": "mailbox-unavailable",
    "ErrorServerBusy": "throttled",
    "RateLimitError": "throttled",
    "ErrorTooManyObjectsOpened": "throttled",
    "ErrorExceededConnectionCount": "throttled",
    "ErrorInsufficientResources": "throttled",
    "ErrorTimeoutExpired": "exchange-unreachable",
    "ErrorConnectionFailed": "exchange-unreachable",
    "ErrorConnectionFailedTransientError": "exchange-unreachable",
    "ErrorInternalServerError": "server-error",
    "ErrorInternalServerTransientError": "server-error",
    "MalformedResponseError": "server-error",
    "ErrorInvalidSyncStateData": "sync-state-reset",
    "ErrorInvalidWatermark": "sync-state-reset",
    "ErrorItemNotFound": "item-vanished",
    "SkipRuleError": "skip-rule-failed",
    "DeletesNeedConfirmationError": "deletes-need-confirmation",
    "SSLError": "tls-failure",  # ssl's, requests' and urllib3's alike
    "SSLCertVerificationError": "tls-failure",
    "CertificateError": "tls-failure",
    "StoreError": "store-error",
    "CredentialError": "config-error",
}

# Broad classes: they say which family an error is in, but an error they
# were raised from may say more (an ExchangeAuthError raised from
# ErrorImpersonateUserDenied is an impersonation problem).
_BROAD = {
    "ExchangeAuthError": "auth-failed",
    "ExchangeUnreachableError": "exchange-unreachable",
    "ConfigError": "config-error",
    "ConnectionError": "exchange-unreachable",  # the builtin and requests'
    "Timeout": "exchange-unreachable",  # requests
    "TimeoutError": "exchange-unreachable",
    "gaierror": "exchange-unreachable",  # socket: the host name is unknown
    "ResponseMessageError": "server-error",
    "TransportError": "exchange-unreachable",
    "CASError": "server-error",
    "EWSError": "server-error",
}

# exchangelib raises TLS failures as a plain TransportError carrying only
# the text of the original error, so the text is the only clue left.
_TLS_TEXT = re.compile(r"\b(SSL|TLS|CERTIFICATE_VERIFY_FAILED|certificate)\b", re.I)


def classify(error: BaseException) -> tuple[FailureKind, str]:
    """The catalogue entry for an error, and a one-line detail without secrets.

    Never raises: an error nothing in the catalogue fits is "unexpected".
    """
    chain = collect_chain(error)
    code = _explicit_code(chain) or _match(chain, _SPECIFIC)
    if code is None and any(isinstance(link, sqlite3.Error) for link in chain):
        code = "store-error"
    if code is None and any(_is_tls_text(link) for link in chain):
        code = "tls-failure"
    code = code or _match(chain, _BROAD) or "unexpected"
    return CATALOGUE[code], describe_error(error)


def _explicit_code(chain: list[BaseException]) -> str | None:
    for link in chain:
        code = getattr(link, "failure_code", None)
        if code in CATALOGUE:
            return code
    return None


def _match(chain: list[BaseException], table: dict[str, str]) -> str | None:
    for link in chain:
        for cls in type(link).__mro__:
            if cls.__name__ in table:
                return table[cls.__name__]
    return None


def _is_tls_text(error: BaseException) -> bool:
    if isinstance(error, ssl.SSLError):
        return True
    names = {cls.__name__ for cls in type(error).__mro__}
    return "TransportError" in names and bool(_TLS_TEXT.search(str(error)))
