"""HTTP authentication: Basic, and NTLM bound to the connection.

NTLM messages are packed and unpacked with pyspnego's NTLM primitives (an
exchangelib dependency, which also brings an MD4 that hashlib may lack);
the server side of the handshake, checking the NTLMv2 proof against the
account's password, is done here.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import struct

from exsync.emulator.directory import Account, Directory

log = logging.getLogger(__name__)

CHALLENGE_HEADERS = ('Basic realm="exsync-emulator"', "NTLM", "Negotiate")


class AuthState:
    """Per-connection authentication state (NTLM binds to the connection)."""

    def __init__(self) -> None:
        self.account: Account | None = None
        self.server_challenge: bytes | None = None


class AuthRequiredError(Exception):
    """Answer 401 with this WWW-Authenticate token (None: offer every scheme)."""

    def __init__(self, token: str | None = None):
        super().__init__("authentication required")
        self.token = token


def authenticate(header: str | None, state: AuthState, directory: Directory) -> Account:
    """Return the account a request authenticates as.

    Raises AuthRequiredError when the client must (re)authenticate.
    """
    if not header:
        if state.account is not None:
            return state.account
        raise AuthRequiredError()
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        return _basic(value.strip(), directory)
    if scheme in ("ntlm", "negotiate"):
        return _ntlm(scheme, value.strip(), state, directory)
    raise AuthRequiredError()


def _basic(value: str, directory: Directory) -> Account:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise AuthRequiredError() from None
    # Clients differ: curl sends UTF-8, python-requests (so exchangelib)
    # Latin-1, and IIS accepts both for the accounts it knows.
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    username, _, password = text.partition(":")
    account = directory.find_account(username)
    if account is None or not hmac.compare_digest(
        account.password.encode(), password.encode()
    ):
        log.info("Basic authentication failed")
        raise AuthRequiredError()
    return account


def _ntlm(scheme: str, value: str, state: AuthState, directory: Directory) -> Account:
    from spnego._ntlm_raw.messages import Authenticate, AvId, NegotiateFlags, TargetInfo
    from spnego._ntlm_raw.messages import Challenge as NtlmChallenge

    label = "NTLM" if scheme == "ntlm" else "Negotiate"
    try:
        token = base64.b64decode(value)
    except binascii.Error:
        raise AuthRequiredError() from None
    if not token.startswith(b"NTLMSSP\x00") or len(token) < 12:
        raise AuthRequiredError()
    message_type = int.from_bytes(token[8:12], "little")
    if message_type == 1:
        state.account = None
        state.server_challenge = os.urandom(8)
        info = TargetInfo()
        info[AvId.nb_domain_name] = "EMULATOR"
        info[AvId.nb_computer_name] = "EXSYNC-EMU"
        flags = (
            NegotiateFlags.unicode
            | NegotiateFlags.ntlm
            | NegotiateFlags.request_target
            | NegotiateFlags.target_type_domain
            | NegotiateFlags.extended_session_security
            | NegotiateFlags.target_info
            | NegotiateFlags.key_128
            | NegotiateFlags.key_exch
            | NegotiateFlags.always_sign
        )
        challenge = NtlmChallenge(
            flags=flags,
            server_challenge=state.server_challenge,
            target_name="EMULATOR",
            target_info=info,
        )
        raise AuthRequiredError(
            f"{label} {base64.b64encode(challenge.pack()).decode()}"
        )
    if message_type == 3 and state.server_challenge is not None:
        server_challenge, state.server_challenge = state.server_challenge, None
        try:
            message = Authenticate.unpack(token)
            user = message.user_name or ""
            domain = message.domain_name or ""
            response = message.nt_challenge_response or b""
        except (ValueError, IndexError, struct.error):
            # Fields are decoded lazily: a forged length or bad UTF-16 fails
            # here, and counts as a failed login, not a broken connection.
            log.info("NTLM authentication failed: malformed Type 3 message")
            raise AuthRequiredError() from None
        account = directory.find_account(user)
        if account is not None and _verify_ntlmv2(
            account, user, domain, server_challenge, response
        ):
            state.account = account
            return account
        log.info("NTLM authentication failed")
    raise AuthRequiredError()


def _verify_ntlmv2(
    account: Account, user: str, domain: str, server_challenge: bytes, response: bytes
) -> bool:
    """Check an NTLMv2 response against the account's password."""
    from spnego._ntlm_raw.crypto import hmac_md5, ntowfv1, ntowfv2

    if len(response) <= 24:
        return False
    proof, blob = response[:16], response[16:]
    for name in (domain, domain.upper(), ""):
        key = ntowfv2(user, ntowfv1(account.password), name)
        if hmac.compare_digest(hmac_md5(key, server_challenge + blob), proof):
            return True
    return False
