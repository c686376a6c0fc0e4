"""Push subscription samples replayed against the emulator, per profile.

Amazon WorkMail's push Subscribe request is replayed with its placeholder
URL pointed at a listener on loopback (the emulator never posts anywhere
else) and its ``inbox`` replaced by ``contacts``. The answers and the
notifications the listener receives must have the shape of Microsoft's and
exchangelib's samples.
"""

import queue

from lxml import etree

from conformance.replay import (
    load_envelope,
    post_soap,
    read_sample,
    response_messages,
    shape,
    text_of,
)
from conformance.schemas import TYPES_NS, parse_xml

SUBSCRIBE = "aws-workmail/subscribe_push_request.xml"
NOTIFICATIONS = "ms-docs/notifications"
WAIT_SECONDS = 10


def _subscribe(emulator, samples_dir, url: str):
    replacements = {
        "https://YOUR_PUSH_RESPONDER_URL": url,
        'Id="inbox"': 'Id="contacts"',
    }
    request = read_sample(samples_dir, SUBSCRIBE, replacements)
    return post_soap(emulator.url, request)


def _next_notification(bodies: queue.Queue, event: str) -> etree._Element:
    while True:
        root = parse_xml(bodies.get(timeout=WAIT_SECONDS))
        if root.find(f".//{{{TYPES_NS}}}{event}") is not None:
            return root


def test_replay_push_subscribe_has_sample_shape(emulator, samples_dir, push_listener):
    url, _ = push_listener

    answer = _subscribe(emulator, samples_dir, url)

    for name in (f"{NOTIFICATIONS}/subscribe_05_push_response.xml",
                 "aws-workmail/subscribe_push_response.xml"):  # fmt: skip
        expected = load_envelope(samples_dir, name)
        assert response_messages(answer.root) == response_messages(expected)
        assert shape(answer.root) == shape(expected)


def test_replay_push_status_event_has_sample_shape(
    emulator, samples_dir, push_listener
):
    url, bodies = push_listener
    _subscribe(emulator, samples_dir, url)

    notification = _next_notification(bodies, "StatusEvent")

    expected = load_envelope(
        samples_dir, "exchangelib/sendnotification_statusevent_exchange2016.xml"
    )
    assert response_messages(notification) == response_messages(expected)
    assert shape(notification) == shape(expected)


def test_replay_push_created_event_has_sample_event_shape(
    emulator, samples_dir, push_listener
):
    url, bodies = push_listener
    _subscribe(emulator, samples_dir, url)
    emulator.owner("svc-exsync@example.com").create_contact({"display_name": "New"})

    notification = _next_notification(bodies, "CreatedEvent")

    # An item event has the same children whatever its kind (MS-OXWSNTIF
    # BaseObjectChangedEventType): the GetEvents sample's NewMailEvent.
    expected = load_envelope(
        samples_dir, f"{NOTIFICATIONS}/getevents_02_response_notification.xml"
    )
    created = notification.find(f".//{{{TYPES_NS}}}CreatedEvent")
    new_mail = expected.find(f".//{{{TYPES_NS}}}NewMailEvent")
    assert _event_shape(created) == _event_shape(new_mail)


def _event_shape(event: etree._Element) -> list[tuple[str, list[str]]]:
    return [(etree.QName(child).localname, sorted(child.attrib)) for child in event]


def test_replay_unsubscribe_has_sample_shape(emulator, samples_dir, push_listener):
    url, _ = push_listener
    subscription = text_of(
        _subscribe(emulator, samples_dir, url).root, "SubscriptionId"
    )
    request = read_sample(
        samples_dir,
        f"{NOTIFICATIONS}/unsubscribe_01_request.xml",
        {"e6fbf5c1-7e26-4bc6-a5f2-882063d5e34e": subscription},
    )

    answer = post_soap(emulator.url, request)

    expected = load_envelope(
        samples_dir, f"{NOTIFICATIONS}/unsubscribe_02_response.xml"
    )
    assert response_messages(answer.root) == response_messages(expected)
    assert shape(answer.root) == shape(expected)


def test_replay_unsubscribe_unknown_has_not_found_sample_shape(emulator, samples_dir):
    request = read_sample(samples_dir, f"{NOTIFICATIONS}/unsubscribe_01_request.xml")

    answer = post_soap(emulator.url, request)

    expected = load_envelope(
        samples_dir,
        f"{NOTIFICATIONS}/unsubscribe_03_error_ErrorSubscriptionNotFound.xml",
    )
    assert response_messages(answer.root) == response_messages(expected)
    assert shape(answer.root) == shape(expected)


def test_push_read_events_failed_notification_validates(
    emulator, samples_dir, push_listener, traffic_violations
):
    # No sample shows this error; it is held to the schema set alone.
    url, bodies = push_listener
    emulator.faults.read_events_failed()
    _subscribe(emulator, samples_dir, url)

    notification = parse_xml(bodies.get(timeout=WAIT_SECONDS))

    assert response_messages(notification) == [("Error", "ErrorReadEventsFailed")]
    assert traffic_violations() == []
