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
from dataclasses import asdict
from typing import Any
from urllib.parse import unquote

from exsync.emulator.seed import SeedError
from exsync.emulator.soap import ResponseError

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
            payload = json.loads(body) if body.strip() else {}
            parts = [unquote(p) for p in path.split("?", 1)[0].strip("/").split("/")]
            result = self._route(method, parts, payload)
            return 200, json.dumps(result, ensure_ascii=False).encode()
        except json.JSONDecodeError as error:
            return 400, _error(f"invalid JSON: {error}")
        except ControlError as error:
            return error.status, _error(str(error))
        except (SeedError, TypeError, ValueError) as error:
            return 400, _error(str(error))
        except KeyError as error:
            return 404, _error(f"no such mailbox: {error.args[0]}")
        except ResponseError as error:
            return 404, _error(error.code)

    def _route(self, method: str, parts: list[str], payload: dict):
        emulator = self.emulator
        if parts == ["mailboxes"]:
            if method == "GET":
                with emulator.directory.lock:
                    return sorted(emulator.directory.mailboxes)
            if method == "POST":
                return {"address": emulator.add_mailbox(payload["address"]).address}
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
                return {
                    "change_key": owner.set_categories(rest[1], payload["categories"])
                }
            if rest[2] == "private":
                return {
                    "change_key": owner.set_private(
                        rest[1], payload.get("private", True)
                    )
                }
        raise ControlError(
            404, f"no route for {method} mailboxes/{address}/{'/'.join(rest)}"
        )


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()
