"""Subscribe (push) and Unsubscribe."""

from __future__ import annotations

from exsync.emulator.operations.common import Call, resolve_folder
from exsync.emulator.soap import (
    ResponseError,
    error_message,
    escape,
    m,
    parse_bool,
    response_body,
    schema_error,
    success_message,
    t,
)

EVENT_TYPES = (
    "CopiedEvent",
    "CreatedEvent",
    "DeletedEvent",
    "ModifiedEvent",
    "MovedEvent",
    "NewMailEvent",
    "FreeBusyChangedEvent",
)


def subscribe(call: Call) -> str:
    """Answer Subscribe for push subscriptions."""
    request = call.child("PushSubscriptionRequest")
    if request is None:
        if (
            call.child("PullSubscriptionRequest") is not None
            or call.child("StreamingSubscriptionRequest") is not None
        ):
            error = ResponseError(
                "ErrorInvalidSubscriptionRequest",
                "Only push subscriptions are supported by this server.",
            )
            return response_body("Subscribe", [error_message("Subscribe", error)])
        raise schema_error("Subscribe carries no subscription request.")
    if request.find(m("Watermark")) is not None:
        # exchangelib 5.6 puts the watermark in the messages namespace; the
        # schema has it in types, so Exchange fails the request.
        raise schema_error(
            "The element 'PushSubscriptionRequest' in namespace "
            "'http://schemas.microsoft.com/exchange/services/2006/messages' has "
            "invalid child element 'Watermark'."
        )
    if request.get("SubscribeToAllFolders") is not None:
        parse_bool(request.get("SubscribeToAllFolders"))
    url = (request.findtext(t("URL")) or "").strip()
    frequency_text = (request.findtext(t("StatusFrequency")) or "30").strip()
    try:
        frequency = int(frequency_text)
    except ValueError:
        raise schema_error(f"StatusFrequency '{frequency_text}' is invalid.") from None
    if not 1 <= frequency <= 1440:
        raise schema_error(f"StatusFrequency '{frequency}' is out of range.")
    events = request.find(t("EventTypes"))
    kinds = {(e.text or "").strip() for e in events} if events is not None else set()
    unknown = sorted(kinds - set(EVENT_TYPES))
    if unknown:
        raise schema_error(f"The EventType value '{unknown[0]}' is invalid.")
    watermark = (request.findtext(t("Watermark")) or "").strip() or None
    folders = request.find(t("FolderIds"))
    try:
        targets = (
            [resolve_folder(call, f) for f in folders] if folders is not None else []
        )
        if not targets:
            targets = [(call.mailbox, "contacts")]
        mailbox = targets[0][0]
        subscription = call.emulator.push.subscribe(
            mailbox,
            {name for _, name in targets},
            kinds,
            url,
            frequency,
            watermark,
        )
    except ResponseError as error:
        return response_body("Subscribe", [error_message("Subscribe", error)])
    content = (
        f"<m:SubscriptionId>{escape(subscription.id)}</m:SubscriptionId>"
        f"<m:Watermark>{escape(subscription.watermark)}</m:Watermark>"
    )
    return response_body("Subscribe", [success_message("Subscribe", content)])


def unsubscribe(call: Call) -> str:
    """Answer Unsubscribe; ends the subscription whatever its kind."""
    subscription_id = (
        (call.child("SubscriptionId").text or "").strip()
        if call.child("SubscriptionId") is not None
        else ""
    )
    if not call.emulator.push.unsubscribe(subscription_id):
        error = ResponseError(
            "ErrorSubscriptionNotFound", "The specified subscription was not found."
        )
        return response_body("Unsubscribe", [error_message("Unsubscribe", error)])
    return response_body("Unsubscribe", [success_message("Unsubscribe")])
