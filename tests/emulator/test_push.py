"""Push subscriptions: real SendNotification POSTs to a loopback listener."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ALICE, make_account, small_seed
from exchangelib.errors import ErrorReadEventsFailed
from exchangelib.services import SendNotification

from exsync.emulator import Emulator


class Listener:
    """A loopback HTTP listener that records notifications and answers them."""

    def __init__(self, answer="ok", fail_first=0, delay=0.0):
        self.bodies: list[bytes] = []
        self.delay = delay
        self.answer = answer
        self.fail_first = fail_first
        self.arrived = threading.Condition()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with listener.arrived:
                    listener.bodies.append(body)
                    listener.arrived.notify_all()
                # A slow listener lets later changes pile up into batches.
                time.sleep(listener.delay)
                if listener.fail_first > 0:
                    listener.fail_first -= 1
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                service = SendNotification(protocol=None)
                if listener.answer == "ok":
                    reply = service.ok_payload()
                else:
                    reply = service.unsubscribe_payload()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.bodies) < count and time.monotonic() < deadline:
                self.arrived.wait(deadline - time.monotonic())
            return list(self.bodies)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def fast_emulator():
    """An emulator whose push minutes last a tenth of a second."""
    with Emulator(seed=small_seed(), time_scale=600) as emu:
        yield emu


def _events(body: bytes) -> list[str]:
    notifications = list(SendNotification(protocol=None).parse(body))
    return [type(event).__name__ for n in notifications for event in n.events]


def test_subscribe_sends_status_event_first(fast_emulator, listener):
    account = make_account(fast_emulator)
    account.contacts.subscribe_to_push(listener.url, status_frequency=1)
    assert _events(listener.wait_for(1)[0]) == ["StatusEvent"]


def test_owner_change_sends_created_event(fast_emulator, listener):
    account = make_account(fast_emulator)
    account.contacts.subscribe_to_push(listener.url, status_frequency=30)
    listener.wait_for(1)
    fast_emulator.owner(ALICE).create_contact({"display_name": "New"})
    bodies = listener.wait_for(2)
    assert _events(bodies[1]) == ["CreatedEvent"]


def test_idle_subscription_repeats_status_event(fast_emulator, listener):
    account = make_account(fast_emulator)
    account.contacts.subscribe_to_push(listener.url, status_frequency=1)
    bodies = listener.wait_for(3)
    assert [_events(b) for b in bodies[:3]] == [["StatusEvent"]] * 3


def test_unsubscribe_reply_ends_subscription(fast_emulator):
    server = Listener(answer="unsubscribe")
    try:
        account = make_account(fast_emulator)
        account.contacts.subscribe_to_push(server.url, status_frequency=1)
        server.wait_for(1)
        time.sleep(0.5)
        assert (len(server.bodies), fast_emulator.push.subscriptions) == (1, {})
    finally:
        server.close()


def test_failed_delivery_is_retried_then_subscription_dies(fast_emulator):
    server = Listener(fail_first=100)
    try:
        account = make_account(fast_emulator)
        account.contacts.subscribe_to_push(server.url, status_frequency=1)
        time.sleep(0.6)
        # StatusFrequency 1 minute: the first try and the retries at 30 s
        # and 60 s fit (offsets up to and including F * 60 s are sent).
        assert (len(server.bodies), fast_emulator.push.subscriptions) == (3, {})
    finally:
        server.close()


def test_read_events_failed_fault_reaches_listener(fast_emulator, listener):
    account = make_account(fast_emulator)
    fast_emulator.faults.read_events_failed(mailbox=ALICE)
    account.contacts.subscribe_to_push(listener.url, status_frequency=30)
    body = listener.wait_for(1)[0]
    with pytest.raises(ErrorReadEventsFailed):
        list(SendNotification(protocol=None).parse(body))


def test_subscribe_to_remote_url_is_refused(emulator):
    from exchangelib.errors import ErrorInvalidPushSubscriptionUrl

    account = make_account(emulator)
    with pytest.raises(ErrorInvalidPushSubscriptionUrl):
        account.contacts.subscribe_to_push("http://192.0.2.1/push", status_frequency=1)


def test_many_changes_are_batched_with_more_events(fast_emulator):
    server = Listener(delay=0.3)
    try:
        account = make_account(fast_emulator)
        account.contacts.subscribe_to_push(server.url, status_frequency=30)
        server.wait_for(1)
        owner = fast_emulator.owner(ALICE)
        for index in range(120):
            owner.create_contact({"display_name": f"Bulk {index}"})
        deadline = time.monotonic() + 10
        counts: list[int] = []
        while sum(counts) < 120 and time.monotonic() < deadline:
            bodies = server.wait_for(len(server.bodies) + 1, timeout=2)
            counts = [_events(b).count("CreatedEvent") for b in bodies[1:]]
    finally:
        server.close()
    more = [b"<t:MoreEvents>true</t:MoreEvents>" in b for b in bodies[1:]]
    assert (sum(counts), max(counts), any(more), more[-1]) == (120, 50, True, False)


def test_move_to_trash_sends_moved_event(fast_emulator, listener):
    from exchangelib import Contact

    account = make_account(fast_emulator)
    contact = Contact(folder=account.contacts, display_name="Mover")
    contact.save()
    account.contacts.subscribe_to_push(listener.url, status_frequency=30)
    listener.wait_for(1)
    contact.move_to_trash()
    assert _events(listener.wait_for(2)[1]) == ["MovedEvent"]


def test_created_event_carries_item_change_key(fast_emulator, listener):
    account = make_account(fast_emulator)
    account.contacts.subscribe_to_push(listener.url, status_frequency=30)
    listener.wait_for(1)
    item_id = fast_emulator.owner(ALICE).create_contact({"display_name": "Keyed"})
    (notification,) = SendNotification(protocol=None).parse(listener.wait_for(2)[1])
    (event,) = notification.events
    key = fast_emulator.mailbox(ALICE).lookup(item_id).change_key
    assert (event.item_id.id, event.item_id.changekey) == (item_id, key)


def test_subscribe_with_watermark_in_messages_namespace_is_schema_fault(emulator):
    from exchangelib.errors import ErrorSchemaValidation

    account = make_account(emulator)
    with pytest.raises(ErrorSchemaValidation):
        account.contacts.subscribe_to_push(
            "http://127.0.0.1:9/push", watermark="AQAAAExY/dNdjDVKjtBVHKR5IOs="
        )


def test_subscribe_with_foreign_watermark_is_refused(emulator):
    from test_raw_http import post, soap

    subscribe = (
        "<m:Subscribe><m:PushSubscriptionRequest><t:FolderIds>"
        '<t:DistinguishedFolderId Id="contacts"/></t:FolderIds><t:EventTypes>'
        "<t:EventType>CreatedEvent</t:EventType></t:EventTypes>"
        "<t:Watermark>AQAAAExY/dNdjDVKjtBVHKR5IOs=</t:Watermark>"
        "<t:StatusFrequency>1</t:StatusFrequency>"
        "<t:URL>http://127.0.0.1:9/push</t:URL>"
        "</m:PushSubscriptionRequest></m:Subscribe>"
    )
    status, _, body = post(emulator, soap(subscribe))
    assert (status, b"ErrorInvalidWatermark" in body) == (200, True)


def test_owner_edit_and_delete_send_modified_and_deleted(fast_emulator, listener):
    owner = fast_emulator.owner(ALICE)
    item_id = owner.contacts()[0]["item_id"]
    account = make_account(fast_emulator)
    account.contacts.subscribe_to_push(listener.url, status_frequency=30)
    listener.wait_for(1)
    owner.update_contact(item_id, {"job_title": "Changed"})
    listener.wait_for(2)
    owner.delete_contact(item_id)
    bodies = listener.wait_for(3)
    assert [_events(b) for b in bodies[1:3]] == [["ModifiedEvent"], ["DeletedEvent"]]


def test_retry_is_not_hurried_by_new_events(fast_emulator):
    server = Listener(fail_first=1)
    try:
        account = make_account(fast_emulator)
        account.contacts.subscribe_to_push(server.url, status_frequency=30)
        server.wait_for(1)
        started = time.monotonic()
        fast_emulator.owner(ALICE).create_contact({"display_name": "Early"})
        server.wait_for(2)
        waited = time.monotonic() - started
    finally:
        server.close()
    # The retry goes 30 s (0.05 s at this time scale) after the first try.
    assert waited >= 0.03


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("127.0.0.5", True), ("::1", True), ("localhost", True), ("10.0.0.1", False)],
)
def test_push_url_host_must_be_loopback(host, allowed):
    from exsync.emulator.push import is_loopback

    assert is_loopback(host) is allowed
