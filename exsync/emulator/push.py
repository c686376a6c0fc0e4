"""Push subscriptions: SendNotification POSTs to the subscriber's URL.

Each subscription has a thread. It sends a StatusEvent when created and
again after StatusFrequency minutes without traffic, and item events
(batched, with MoreEvents) soon after changes. A delivery that fails is
retried 30, 60, 120... seconds after the first attempt while that stays
within StatusFrequency minutes; then the subscription dies. A reply of
Unsubscribe ends it. ``time_scale`` divides every delay.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from lxml import etree

from exsync.emulator.mailbox import Change, Mailbox
from exsync.emulator.soap import M_NS, T_NS, ResponseError, escape, m
from exsync.emulator.traffic import dump_traffic

log = logging.getLogger(__name__)

BATCH = 50
_EVENT_NAMES = {
    "Created": "CreatedEvent",
    "Modified": "ModifiedEvent",
    "Deleted": "DeletedEvent",
    "Moved": "MovedEvent",
}
_watermarks = itertools.count(1)


def _watermark() -> str:
    return base64.b64encode(b"EXWM" + next(_watermarks).to_bytes(8, "big")).decode()


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (names are not resolved)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_watermark(text: str) -> bool:
    """True for a watermark this emulator handed out."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return False
    return raw.startswith(b"EXWM") and len(raw) == 12


@dataclass
class Subscription:
    """One push subscription and what it still has to deliver."""

    id: str
    mailbox: Mailbox
    folders: set[str]
    kinds: set[str]
    url: str
    frequency: int
    watermark: str
    events: list[str] = field(default_factory=list)
    alive: bool = True
    wake: threading.Event = field(default_factory=threading.Event)
    stopped: threading.Event = field(default_factory=threading.Event)
    deliveries: int = 0


class PushManager:
    """Every push subscription of one emulator."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.subscriptions: dict[str, Subscription] = {}
        self._lock = threading.Lock()
        self._running = False
        # Seconds a listener has to answer one notification; a silent one
        # counts as a failed delivery and the retry rule applies.
        self.delivery_timeout = 10.0

    def start(self) -> None:
        """Allow delivery threads to run."""
        self._running = True

    def stop(self) -> None:
        """End every subscription's thread."""
        self._running = False
        with self._lock:
            subscriptions = list(self.subscriptions.values())
            self.subscriptions.clear()
        for subscription in subscriptions:
            subscription.alive = False
            subscription.stopped.set()
            subscription.wake.set()

    def _seconds(self, seconds: float) -> float:
        return seconds / self.emulator.time_scale

    def subscribe(self, mailbox, folders, kinds, url, frequency, watermark):
        """Create a subscription and start delivering to ``url``.

        Raises ResponseError for a URL the emulator may not call.
        """
        try:
            parts = urlsplit(url)
            # Reading the port checks it: a name or a number past 65535 fails.
            parts.port  # noqa: B018
        except ValueError:
            raise ResponseError(
                "ErrorInvalidPushSubscriptionUrl", "The push URL is invalid."
            ) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ResponseError(
                "ErrorInvalidPushSubscriptionUrl", "The push URL is invalid."
            )
        if not is_loopback(parts.hostname) and not self.emulator.allow_remote_push:
            raise ResponseError(
                "ErrorInvalidPushSubscriptionUrl",
                "This emulator only delivers notifications to loopback addresses.",
            )
        if watermark is not None and not _is_watermark(watermark):
            raise ResponseError("ErrorInvalidWatermark", "The watermark is invalid.")
        subscription = Subscription(
            id=base64.b64encode(b"EXSUB" + os.urandom(16)).decode(),
            mailbox=mailbox,
            folders=set(folders),
            kinds={_EVENT_NAMES.get(k, k) for k in kinds},
            url=url,
            frequency=frequency,
            watermark=watermark or _watermark(),
        )
        with self._lock:
            self.subscriptions[subscription.id] = subscription
        threading.Thread(
            target=self._run,
            args=(subscription,),
            name="exsync-emulator-push",
            daemon=True,
        ).start()
        return subscription

    def unsubscribe(self, subscription_id: str) -> bool:
        """End a subscription; False if there is none with that id."""
        with self._lock:
            subscription = self.subscriptions.pop(subscription_id, None)
        if subscription is None:
            return False
        subscription.alive = False
        subscription.stopped.set()
        subscription.wake.set()
        return True

    def on_change(self, mailbox: Mailbox, change: Change) -> None:
        """Queue an event for each subscription watching the changed folder."""
        name = _EVENT_NAMES[change.kind]
        with self._lock:
            subscriptions = [
                s for s in self.subscriptions.values() if s.mailbox is mailbox
            ]
        for subscription in subscriptions:
            watched = {change.folder, change.old_folder} & subscription.folders
            if not watched or (subscription.kinds and name not in subscription.kinds):
                continue
            subscription.events.append(_event_xml(mailbox, change, name))
            subscription.wake.set()

    def _run(self, subscription: Subscription) -> None:
        pending = ["<t:StatusEvent><t:Watermark>{wm}</t:Watermark></t:StatusEvent>"]
        while subscription.alive and self._running:
            if not pending:
                if subscription.events:
                    batch_size = min(BATCH, len(subscription.events))
                    pending = subscription.events[:batch_size]
                    del subscription.events[:batch_size]
                else:
                    idle = self._seconds(subscription.frequency * 60)
                    subscription.wake.clear()
                    if subscription.events:
                        continue
                    if not subscription.wake.wait(idle):
                        pending = [
                            "<t:StatusEvent><t:Watermark>{wm}</t:Watermark>"
                            "</t:StatusEvent>"
                        ]
                    continue
            body = self._notification(subscription, pending, bool(subscription.events))
            if not self._deliver_with_retries(subscription, body):
                break
            pending = []
        with self._lock:
            self.subscriptions.pop(subscription.id, None)
        subscription.alive = False

    def _notification(
        self, subscription: Subscription, events: list[str], more: bool
    ) -> bytes:
        previous = subscription.watermark
        rendered = []
        for event in events:
            subscription.watermark = _watermark()
            rendered.append(event.replace("{wm}", subscription.watermark))
        failed = self.emulator.faults.take(
            "read_events_failed", None, subscription.mailbox.address
        )
        if failed is not None:
            head = (
                '<m:SendNotificationResponseMessage ResponseClass="Error">'
                "<m:MessageText>Events could not be read.</m:MessageText>"
                "<m:ResponseCode>ErrorReadEventsFailed</m:ResponseCode>"
                "<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
            )
        else:
            head = (
                '<m:SendNotificationResponseMessage ResponseClass="Success">'
                "<m:ResponseCode>NoError</m:ResponseCode>"
            )
        more_text = "true" if more else "false"
        profile = self.emulator.profile
        version = (
            "Exchange2013" if profile.version.startswith("V20") else profile.version
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
            f'<s:Header><t:RequestServerVersion xmlns:t="{T_NS}" Version="{version}"/>'
            f'</s:Header><s:Body><m:SendNotification xmlns:m="{M_NS}" xmlns:t="{T_NS}">'
            f"<m:ResponseMessages>{head}<m:Notification>"
            f"<t:SubscriptionId>{escape(subscription.id)}</t:SubscriptionId>"
            f"<t:PreviousWatermark>{escape(previous)}</t:PreviousWatermark>"
            f"<t:MoreEvents>{more_text}</t:MoreEvents>{''.join(rendered)}"
            "</m:Notification></m:SendNotificationResponseMessage></m:ResponseMessages>"
            "</m:SendNotification></s:Body></s:Envelope>"
        ).encode()

    def _deliver_with_retries(self, subscription: Subscription, body: bytes) -> bool:
        """Deliver one notification; False when the subscription has ended."""
        window = subscription.frequency * 60
        first = time.monotonic()
        attempt = 0
        while subscription.alive and self._running:
            status = self._post(subscription, body)
            if status == "OK":
                return True
            if status == "Unsubscribe":
                log.info("push listener answered Unsubscribe; subscription ended")
                return False
            attempt += 1
            offset = 30 * 2 ** (attempt - 1)
            if offset > window:
                log.warning(
                    "push delivery failed past StatusFrequency; subscription dies"
                )
                return False
            delay = self._seconds(offset) - (time.monotonic() - first)
            # New events must not hurry a retry: only a stop cuts the wait.
            if delay > 0 and subscription.stopped.wait(delay):
                return False
        return False

    def _post(self, subscription: Subscription, body: bytes) -> str | None:
        parts = urlsplit(subscription.url)
        connection_class = (
            http.client.HTTPSConnection
            if parts.scheme == "https"
            else http.client.HTTPConnection
        )
        dump_traffic("notification", self.emulator.profile.name, body)
        subscription.deliveries += 1
        connection = connection_class(
            parts.hostname, parts.port, timeout=self.delivery_timeout
        )
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request(
                "POST", path, body, {"Content-Type": "text/xml; charset=utf-8"}
            )
            response = connection.getresponse()
            reply = response.read(1024 * 1024)
        except (OSError, http.client.HTTPException) as error:
            log.info("push delivery failed: %s", error)
            return None
        finally:
            connection.close()
        if response.status != 200:
            log.info("push listener answered HTTP %s", response.status)
            return None
        return _subscription_status(reply)


def _subscription_status(reply: bytes) -> str | None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(reply, parser)
    except etree.XMLSyntaxError:
        return None
    status = root.find(f".//{m('SubscriptionStatus')}")
    if status is None:
        return None
    return (status.text or "").strip()


def _event_xml(mailbox: Mailbox, change: Change, name: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    parent_id = mailbox.folder_id(change.folder)
    parts = [
        "<t:Watermark>{wm}</t:Watermark>",
        f"<t:TimeStamp>{stamp}</t:TimeStamp>",
        f'<t:ItemId Id="{change.item_id}" ChangeKey="{change.change_key}"/>',
        f'<t:ParentFolderId Id="{parent_id}" ChangeKey="AQAAAA=="/>',
    ]
    if name == "MovedEvent":
        old_parent = mailbox.folder_id(change.old_folder)
        parts.append(
            f'<t:OldItemId Id="{change.old_item_id}" '
            f'ChangeKey="{change.old_change_key}"/>'
        )
        parts.append(f'<t:OldParentFolderId Id="{old_parent}" ChangeKey="AQAAAA=="/>')
    return f"<t:{name}>{''.join(parts)}</t:{name}>"
