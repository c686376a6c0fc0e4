"""The JSON control API, served on the EWS port under ``/emulator/v1/``.

Routes (bodies and answers are JSON; item ids are percent-encoded)::

    GET    mailboxes                                 -> ["alice@example.com", ...]
    POST   mailboxes                  {"address"}    -> {"address"}
    GET    mailboxes/ADDR/contacts                   -> [contact, ...]
    POST   mailboxes/ADDR/contacts    {contact}      -> {"item_id"}
    POST   mailboxes/ADDR/contacts/ID {changes}      -> {"change_key"}
    DELETE mailboxes/ADDR/contacts/ID                -> {}
    POST   mailboxes/ADDR/contacts/ID/categories {"categories": [...]}
    POST   mailboxes/ADDR/contacts/ID/private    {"private": true}
    POST   mailboxes/ADDR/invalidate-sync-states     -> {}
    POST   faults/KIND                {options}      -> {"armed": KIND}
    DELETE faults                                    -> {}
    GET    journal                                   -> [entry, ...]
    DELETE journal                                   -> {}

KIND is server_busy, http_status, drop_connection, latency or
read_events_failed; options are the keyword arguments of the matching
``Emulator.faults`` method. Errors answer 400/404 with {"error": "..."}.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any
from urllib.parse import unquote

from exsync.emulator.seed import SeedError
from exsync.emulator.soap import ResponseError

log = logging.getLogger(__name__)

_FAULTS = (
    "server_busy",
    "http_status",
    "drop_connection",
    "latency",
    "read_events_failed",
)


class ControlError(Exception):
    """A control request that cannot be served."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Control:
    """Routes control requests to the emulator."""

    def __init__(self, emulator: Any):
        self.emulator = emulator

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        """Serve one request; returns (status, JSON bytes)."""
        try:
            payload = _payload(body)
            parts = [unquote(p) for p in path.split("?", 1)[0].strip("/").split("/")]
            result = self._route(method, parts, payload)
            return 200, json.dumps(result, ensure_ascii=False).encode()
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
            return 400, _error(f"invalid JSON: {error}")
        except ControlError as error:
            return error.status, _error(str(error))
        except (SeedError, TypeError, ValueError) as error:
            return 400, _error(str(error))
        except KeyError as error:
            return 404, _error(f"no such mailbox: {error.args[0]}")
        except ResponseError as error:
            return 404, _error(error.code)
        except Exception:  # noqa: BLE001 - the server must answer and live on
            log.exception("control request %s /%s failed", method, path)
            return 500, _error("internal error; see the emulator's log")

    def _route(self, method: str, parts: list[str], payload: dict):
        emulator = self.emulator
        if parts == ["mailboxes"]:
            if method == "GET":
                with emulator.directory.lock:
                    return sorted(emulator.directory.mailboxes)
            if method == "POST":
                address = _field(payload, "address", str)
                return {"address": emulator.add_mailbox(address).address}
        if parts[:1] == ["mailboxes"] and len(parts) >= 3:
            return self._mailbox(method, parts[1], parts[2:], payload)
        if parts[:1] == ["faults"]:
            if method == "DELETE" and len(parts) == 1:
                emulator.faults.clear()
                return {}
            if method == "POST" and len(parts) == 2 and parts[1] in _FAULTS:
                getattr(emulator.faults, parts[1])(**payload)
                return {"armed": parts[1]}
        if parts == ["journal"]:
            if method == "GET":
                return [asdict(entry) for entry in emulator.journal]
            if method == "DELETE":
                emulator.journal.clear()
                return {}
        raise ControlError(404, f"no route for {method} /{'/'.join(parts)}")

    def _mailbox(self, method: str, address: str, rest: list[str], payload: dict):
        owner = self.emulator.owner(address)
        if rest == ["invalidate-sync-states"] and method == "POST":
            self.emulator.invalidate_sync_states(address)
            return {}
        if rest == ["contacts"]:
            if method == "GET":
                return owner.contacts()
            if method == "POST":
                return {"item_id": owner.create_contact(payload)}
        if rest[:1] == ["contacts"] and len(rest) == 2:
            if method == "POST":
                return {"change_key": owner.update_contact(rest[1], payload)}
            if method == "DELETE":
                owner.delete_contact(rest[1], payload.get("mode", "HardDelete"))
                return {}
        if rest[:1] == ["contacts"] and len(rest) == 3 and method == "POST":
            if rest[2] == "categories":
                categories = _field(payload, "categories", list)
                if not all(isinstance(c, str) for c in categories):
                    raise ControlError(400, "categories must be a list of strings")
                return {"change_key": owner.set_categories(rest[1], categories)}
            if rest[2] == "private":
                private = payload.get("private", True)
                if not isinstance(private, bool):
                    raise ControlError(400, "private must be true or false")
                return {"change_key": owner.set_private(rest[1], private)}
        raise ControlError(
            404, f"no route for {method} mailboxes/{address}/{'/'.join(rest)}"
        )


def _payload(body: bytes) -> dict:
    """The JSON object a request carries ({} for none)."""
    payload = json.loads(body) if body.strip() else {}
    if not isinstance(payload, dict):
        raise ControlError(400, "the request body must be a JSON object")
    return payload


def _field(payload: dict, name: str, kind: type):
    """A required member of the request object, of the given JSON type."""
    value = payload.get(name)
    if not isinstance(value, kind):
        raise ControlError(400, f"{name} must be a {kind.__name__}, not {value!r}")
    return value


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()
