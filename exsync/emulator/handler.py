"""One connection to the emulator: keep-alive, authentication and SOAP dispatch."""

from __future__ import annotations

import io
import logging
import re
import socket
import time
from http.server import BaseHTTPRequestHandler

from exsync.emulator.auth import (
    CHALLENGE_HEADERS,
    AuthRequiredError,
    AuthState,
    authenticate,
)
from exsync.emulator.deadline import DeadlineReader
from exsync.emulator.journal import JournalEntry
from exsync.emulator.operations import OPERATIONS
from exsync.emulator.operations.common import Call
from exsync.emulator.profiles import KNOWN_VERSIONS
from exsync.emulator.soap import (
    MAX_BODY_BYTES,
    ResponseError,
    SoapFaultError,
    envelope,
    error_message,
    fault_body,
    parse_request,
    response_body,
    server_version_header,
)
from exsync.emulator.traffic import dump_traffic, next_sequence

log = logging.getLogger(__name__)

EWS_PATH = "/ews/exchange.asmx"
CONTROL_PREFIX = "/emulator/v1/"
_MUTATING = ("CreateItem", "UpdateItem", "DeleteItem")
_OPERATION = re.compile(rb"<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)")
_CODE = re.compile(rb":ResponseCode[^>]*>\s*(\w+)")


class EwsHandler(BaseHTTPRequestHandler):
    """One connection: requests are served in turn over keep-alive."""

    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    # IIS closes idle keep-alive connections after two minutes; the same
    # bound applies to each write of an answer.
    timeout = 120

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = DeadlineReader(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self.reader)
        self.auth_state = AuthState()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def handle_one_request(self) -> None:
        emulator = self.server.emulator
        self.reader.expect_request(emulator.idle_timeout, emulator.request_timeout)
        super().handle_one_request()

    def log_message(self, format: str, *args) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args) -> None:
        # Timeouts and malformed request lines land here; one line each.
        log.info("%s %s", self.address_string(), format % args)

    def do_HEAD(self) -> None:
        self._refuse_method()

    def do_PUT(self) -> None:
        self._refuse_method()

    def do_PATCH(self) -> None:
        self._refuse_method()

    def do_OPTIONS(self) -> None:
        if self.path.split("?", 1)[0].lower() == EWS_PATH:
            self._send(200, b"", {"Allow": "OPTIONS, POST"})
        else:
            self._refuse_method()

    def _refuse_method(self) -> None:
        # The body of a refused request is never read: close after answering.
        self._send(405, b"", {"Allow": "POST"}, close=True)

    def do_GET(self) -> None:
        if self.path.startswith(CONTROL_PREFIX):
            self._control("GET")
        else:
            self._send(405, b"", {"Allow": "POST"})

    def do_DELETE(self) -> None:
        if self.path.startswith(CONTROL_PREFIX):
            self._control("DELETE")
        else:
            self._send(405, b"", {"Allow": "POST"})

    def do_POST(self) -> None:
        if self.path.startswith(CONTROL_PREFIX):
            self._control("POST")
        elif self.path.split("?", 1)[0].lower() == EWS_PATH:
            self._ews()
        else:
            self._drain()
            self._send(404, b"")

    def _control(self, method: str) -> None:
        body = self._drain()
        if body is None:
            return
        status, payload = self.server.emulator.control.handle(
            method, self.path[len(CONTROL_PREFIX) :], body
        )
        self._send(status, payload, {"Content-Type": "application/json"})

    def _drain(self) -> bytes | None:
        """Read the request body; answers 400/413 and returns None if refused."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(400, b"", close=True)
            return None
        if length < 0:
            log.info("refused a negative Content-Length")
            self._send(400, b"", close=True)
            return None
        if length > MAX_BODY_BYTES:
            log.warning("refused a %d-byte request body", length)
            self._send(413, b"", close=True)
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            log.info("client closed the connection before sending the whole body")
            self.close_connection = True
            return None
        return body

    def _read_chunked(self) -> bytes | None:
        parts, total = [], 0
        while True:
            line = self.rfile.readline(100)
            try:
                size = int(line.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                self._send(400, b"", close=True)
                return None
            total += size
            if total > MAX_BODY_BYTES:
                log.warning("refused a chunked request body over the size cap")
                self._send(413, b"", close=True)
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline(3)

    def _send(
        self, status: int, body: bytes, headers: dict | None = None, close=False
    ) -> None:
        self.reader.request_read()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _http_faults(self, exchange: dict, data: bytes, started: float) -> bool:
        faults = self.server.emulator.faults
        delay = faults.take("latency")
        if delay is not None:
            time.sleep(delay.options["seconds"])
        if faults.take("drop_connection") is not None:
            exchange["status"] = 0
            self._record_refusal(data, exchange, started)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        rule = faults.take("http_status")
        if rule is not None:
            headers = {"Content-Type": "text/html"}
            if rule.options.get("retry_after") is not None:
                headers["Retry-After"] = str(rule.options["retry_after"])
            if rule.options["status"] == 401:
                headers["WWW-Authenticate"] = CHALLENGE_HEADERS[0]
            exchange["status"] = rule.options["status"]
            # Journaled before answering: a client may read the journal as
            # soon as it has the answer.
            self._record_refusal(data, exchange, started)
            self._answer(exchange, rule.options["status"], b"", headers)
            return True
        return False

    def _answer(self, exchange: dict, status: int, payload: bytes, headers) -> None:
        dump_traffic("response", exchange["version"], payload, exchange["seq"])
        self._send(status, payload, headers)

    def _challenge(self, exchange: dict, token: str | None) -> None:
        dump_traffic("response", exchange["version"], b"", exchange["seq"])
        self.reader.request_read()
        self.send_response(401)
        for value in [token] if token else CHALLENGE_HEADERS:
            self.send_header("WWW-Authenticate", value)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _ews(self) -> None:
        started = time.perf_counter()
        emulator = self.server.emulator
        profile = emulator.profile
        data = self._drain()
        if data is None:
            return
        exchange = {"seq": next_sequence(), "version": profile.name}
        dump_traffic("request", profile.name, data, exchange["seq"])
        if self._http_faults(exchange, data, started):
            return
        try:
            account = authenticate(
                self.headers.get("Authorization"), self.auth_state, emulator.directory
            )
        except AuthRequiredError as challenge:
            # Not journaled: an NTLM handshake answers 401 as a matter of course.
            self._challenge(exchange, challenge.token)
            return
        operation, mailbox_address, status = "Unknown", None, 200
        try:
            request = parse_request(data)
            operation = request.operation
            body, mailbox_address = self._dispatch(request, account)
        except SoapFaultError as fault:
            log.info("answering %s with fault %s", operation, fault.code)
            body, status = fault_body(fault), 500
        except Exception:  # noqa: BLE001 - a server answers, whatever broke
            log.exception("internal error serving %s", operation)
            fault = SoapFaultError(
                "ErrorInternalServerError",
                "An internal server error occurred. The operation failed.",
            )
            body, status = fault_body(fault), 500
        payload = envelope(server_version_header(profile.server_version_info), body)
        match = _CODE.search(payload, 0, 4096)
        code = match.group(1).decode() if match else "NoError"
        emulator.journal.record(
            JournalEntry(
                operation,
                mailbox_address,
                len(data),
                len(payload),
                status,
                time.perf_counter() - started,
                code,
            )
        )
        self._answer(
            exchange, status, payload, {"Content-Type": "text/xml; charset=utf-8"}
        )

    def _record_refusal(self, data: bytes, exchange: dict, started: float) -> None:
        # Requests refused by an injected HTTP fault are journaled too, so
        # tests can count a client's retries; status 0 is a dropped connection.
        match = _OPERATION.search(data, 0, 8192)
        operation = match.group(1).decode() if match else "Unknown"
        elapsed = time.perf_counter() - started
        entry = JournalEntry(
            operation, None, len(data), 0, exchange["status"], elapsed, "HTTP"
        )
        self.server.emulator.journal.record(entry)

    def _dispatch(self, request, account) -> tuple[str, str | None]:
        emulator = self.server.emulator
        profile = emulator.profile
        version = request.version or "Exchange2007_SP1"
        if version not in KNOWN_VERSIONS:
            raise SoapFaultError("ErrorInvalidRequest", "The request is invalid.")
        if version not in profile.accepted:
            raise SoapFaultError(
                "ErrorInvalidServerVersion", "The specified server version is invalid."
            )
        mailbox = emulator.target_mailbox(account, request.impersonate)
        handler = OPERATIONS.get(request.operation)
        if handler is None:
            raise SoapFaultError(
                "ErrorInvalidRequest",
                f"The request is invalid: {request.operation} is not supported.",
                client=True,
            )
        busy = emulator.faults.take("server_busy", request.operation, mailbox.address)
        if busy is not None:
            return _busy(request.operation, busy), mailbox.address
        call = Call(request, profile, emulator.directory, account, mailbox, emulator)
        body = handler(call)
        if request.operation in _MUTATING:
            emulator.mark_dirty()
        return body, mailbox.address


def _busy(operation: str, rule) -> str:
    back_off = str(rule.options["back_off_ms"])
    message = "The server cannot service this request right now. Try again later."
    if rule.options["as_fault"]:
        raise SoapFaultError(
            "ErrorServerBusy", message, values={"BackOffMilliseconds": back_off}
        )
    tail = (
        f'<m:MessageXml><t:Value Name="BackOffMilliseconds">{back_off}</t:Value>'
        "</m:MessageXml>"
    )
    if operation == "SyncFolderItems":
        tail += (
            "<m:SyncState/><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>"
        )
    error = ResponseError("ErrorServerBusy", message)
    return response_body(operation, [error_message(operation, error, tail)])
