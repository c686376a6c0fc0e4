"""One line that says what went wrong, for a status table, an email or a log.

:func:`describe_error` turns an error, and the errors it was raised from,
into a single line without secrets: a network failure in a few words with
the endpoint it concerns, anything else as the error's own line followed by
its root cause. Kept apart from the catalogue of :mod:`exsync.failures`,
which decides what kind of failure an error is.
"""

from __future__ import annotations

import re
import ssl
from urllib.parse import urlsplit

DETAIL_MAX_CHARS = 300

_REDACTIONS = (
    # user:password@ in a URL
    (re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]+@"), "***@"),
    (
        re.compile(r"(?i)\b(Basic|Bearer|NTLM|Negotiate)\s+[A-Za-z0-9+/=._-]{8,}"),
        r"\1 ***",
    ),
    (
        re.compile(
            r"(?i)\b(password|passwd|secret|token|authorization)\b(\s*[=:]\s*)\S+"
        ),
        r"\1\2***",
    ),
    # repr() of objects: noise in a one-line detail
    (re.compile(r"<([\w.]+) object at 0x[0-9a-f]+>"), r"<\1>"),
)


def describe_error(error: BaseException) -> str:
    """One line naming the error's root cause, without secrets or addresses.

    A transport failure becomes a short human line ("connection refused by
    127.0.0.1:8443"); anything else is the error's own line, followed by
    the error it was raised from when that says something more. The cause
    is kept whole and the rest shortened, so a long wrapper never hides it.
    """
    chain = collect_chain(error)
    human = _transport_line(chain)
    if human is not None:
        return _cut(_redact(human), DETAIL_MAX_CHARS)
    outer = _one_line(error)
    root = chain[-1]
    cause = _one_line(root)
    if root is error or _text_of(root) in outer:
        return _cut(outer, DETAIL_MAX_CHARS)
    cause = _cut(cause, _CAUSE_MAX_CHARS)
    room = DETAIL_MAX_CHARS - len(cause) - len(_CAUSED_BY)
    return f"{_cut(outer, room)}{_CAUSED_BY}{cause}"


_CAUSED_BY = "; caused by "
_CAUSE_MAX_CHARS = 160
_ENDPOINT = re.compile(r"host='([^'\s]+)', port=(\d+)")
_TIMEOUT = re.compile(r"\((read|connect) timeout=([\d.]+)\)")
_SSL_NOISE = re.compile(r"^\[SSL: [A-Z0-9_]+\]\s*|\s*\(_ssl\.c:\d+\)$")


def _transport_line(chain: list[BaseException]) -> str | None:
    # The root of a network failure is an OSError from the socket or ssl
    # module, many wrappers deep; what it means fits in a few words, and
    # the endpoint it concerns is named by one of the wrappers.
    root = chain[-1]
    if not isinstance(root, OSError):
        return None
    endpoint = _endpoint_of(chain)
    at = f" ({endpoint})" if endpoint else ""
    if isinstance(root, ssl.SSLCertVerificationError):
        reason = getattr(root, "verify_message", None) or _SSL_NOISE.sub(
            "", str(root.args[-1])
        )
        return f"certificate verify failed: {reason}{at}"
    if isinstance(root, ssl.SSLError):
        return f"TLS handshake failed: {_SSL_NOISE.sub('', str(root.args[-1]))}{at}"
    if isinstance(root, ConnectionRefusedError):
        return f"connection refused by {endpoint or 'the server'}"
    if type(root).__name__ == "RemoteDisconnected":
        return f"{endpoint or 'the server'} closed the connection without an answer"
    if isinstance(root, ConnectionResetError):
        return f"connection reset by {endpoint or 'the server'}"
    if isinstance(root, TimeoutError):
        return _timeout_line(chain, endpoint)
    if type(root).__name__ == "gaierror":
        host = endpoint.rpartition(":")[0] if endpoint else "the host name"
        return f"cannot resolve {host}: {root.strerror or root}"
    if root.strerror and endpoint:  # "Network is unreachable", "No route to host"
        return f"{root.strerror}{at}"
    return None


def _timeout_line(chain: list[BaseException], endpoint: str | None) -> str:
    where = endpoint or "the server"
    for link in chain:
        found = _TIMEOUT.search(_text_of(link))
        if found:
            phase, seconds = found.group(1), float(found.group(2))
            shown = f"{seconds:g}"
            if phase == "connect":
                return f"connecting to {where} timed out after {shown} s"
            return f"timed out after {shown} s waiting for {where}"
    return f"timed out waiting for {where}"


def _endpoint_of(chain: list[BaseException]) -> str | None:
    # requests' errors carry the request; urllib3's name the pool's host
    # and port in their text. Never the URL itself: it may hold a path
    # with query parameters, and only host and port are needed.
    for link in chain:
        request = getattr(link, "request", None)
        url = getattr(request, "url", None)
        if isinstance(url, str):
            netloc = urlsplit(url).netloc.rpartition("@")[2]
            if netloc:
                return netloc
    for link in chain:
        found = _ENDPOINT.search(_text_of(link))
        if found:
            return f"{found.group(1)}:{found.group(2)}"
    return None


def _one_line(error: BaseException) -> str:
    text = _redact(" ".join(_text_of(error).split()))
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _text_of(error: BaseException) -> str:
    try:
        return str(getattr(error, "message", None) or error)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the failure
        return ""


def _redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def collect_chain(error: BaseException) -> list[BaseException]:
    """The error, then the ones it was raised from, outermost first.

    An implicit ``__context__`` counts too: exchangelib re-raises transport
    errors inside its except blocks without "from". Never raises.
    """
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    return chain
