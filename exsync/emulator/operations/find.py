"""FindItem with IndexedPageItemView paging and restrictions."""

from __future__ import annotations

from lxml import etree

from exsync.emulator import fields
from exsync.emulator.operations.common import (
    ITEM_HOLDING,
    Call,
    read_shape,
    render_entry,
    resolve_folder,
)
from exsync.emulator.soap import (
    ResponseError,
    error_message,
    render_bool,
    response_body,
    schema_error,
    success_message,
    t,
)


def _values(item: dict, uri: str) -> list[str]:
    if uri == "item:ItemClass":
        group = item.get("kind") == "distribution_list"
        return ["IPM.DistList" if group else "IPM.Contact"]
    key = fields.key_for_uri(uri)
    if key is None:
        return []
    value = item.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [str(value)]


def _field_and_constant(element: etree._Element) -> tuple[str, str | None]:
    uri_element = element.find(t("FieldURI"))
    if uri_element is None:
        uri_element = element.find(t("IndexedFieldURI"))
    uri = uri_element.get("FieldURI", "") if uri_element is not None else ""
    constant = element.find(f"{t('FieldURIOrConstant')}/{t('Constant')}")
    if constant is None:
        constant = element.find(t("Constant"))
    return uri, constant.get("Value") if constant is not None else None


def _contains(value: str, wanted: str, mode: str, comparison: str) -> bool:
    if comparison != "Exact":
        value, wanted = value.lower(), wanted.lower()
    if mode == "FullString":
        return value == wanted
    if mode == "Prefixed":
        return value.startswith(wanted)
    if mode == "PrefixOnWords":
        return any(word.startswith(wanted) for word in value.split())
    return wanted in value


def matches(element: etree._Element, item: dict) -> bool:
    """Evaluate one restriction element against an item."""
    name = etree.QName(element).localname
    if name in ("And", "Or", "Not"):
        operands = [child for child in element if isinstance(child.tag, str)]
        # The schema: Not takes exactly one expression, And and Or one or more.
        if not operands or (name == "Not" and len(operands) > 1):
            raise schema_error(
                f"The '{name}' element has the wrong number of operands."
            )
        if name == "And":
            return all(matches(child, item) for child in operands)
        if name == "Or":
            return any(matches(child, item) for child in operands)
        return not matches(operands[0], item)
    uri, constant = _field_and_constant(element)
    values = _values(item, uri)
    if name == "Exists":
        return bool(values)
    if name == "Contains":
        mode = element.get("ContainmentMode", "FullString")
        comparison = element.get("ContainmentComparison", "Exact")
        return any(_contains(v, constant or "", mode, comparison) for v in values)
    if name == "IsEqualTo":
        return constant in values
    if name == "IsNotEqualTo":
        return constant not in values
    if name in (
        "IsGreaterThan",
        "IsGreaterThanOrEqualTo",
        "IsLessThan",
        "IsLessThanOrEqualTo",
    ):
        return any(_compare(name, v, constant or "") for v in values)
    raise schema_error(f"The restriction element '{name}' is not supported.")


def _compare(name: str, value: str, constant: str) -> bool:
    if name == "IsGreaterThan":
        return value > constant
    if name == "IsGreaterThanOrEqualTo":
        return value >= constant
    if name == "IsLessThan":
        return value < constant
    return value <= constant


def _page_view(call: Call) -> tuple[int, int, str, ResponseError | None]:
    """The view's (limit, offset, base point, paging error).

    Raises SoapFaultError ErrorSchemaValidation for what the schema refuses.
    """
    view = call.child("IndexedPageItemView")
    if view is None:
        return 1000, 0, "Beginning", None
    if view.get("Offset") is None or view.get("BasePoint") is None:
        raise schema_error(
            "IndexedPageItemView requires the Offset and BasePoint attributes."
        )
    base = view.get("BasePoint")
    if base not in ("Beginning", "End"):
        raise schema_error(f"The 'BasePoint' attribute value '{base}' is invalid.")
    try:
        limit = int(view.get("MaxEntriesReturned", "1000"))
        offset = int(view.get("Offset"))
    except ValueError:
        raise schema_error("IndexedPageItemView has a non-integer attribute.") from None
    # Both are xs:int in the schema; Exchange refuses the values that make
    # no page, per folder, and a zero-row page would let a client loop.
    if limit <= 0:
        error = ResponseError(
            "ErrorInvalidPagingMaxRows", "The paging MaxRows value is invalid."
        )
        return limit, offset, base, error
    if offset < 0:
        error = ResponseError(
            "ErrorInvalidIndexedPagingParameters",
            "The indexed paging parameters are invalid.",
        )
        return limit, offset, base, error
    return limit, offset, base, None


def find_item(call: Call) -> str:
    """Answer FindItem over the contacts-holding folders."""
    props = read_shape(call.child("ItemShape"), call.profile)
    limit, offset, base, paging_error = _page_view(call)
    restriction = call.child("Restriction")
    parents = call.child("ParentFolderIds")
    if parents is None or not len(parents):
        raise schema_error("FindItem requires ParentFolderIds with a folder.")
    messages = []
    for folder_element in parents if parents is not None else []:
        if not isinstance(folder_element.tag, str):
            continue
        try:
            if paging_error is not None:
                raise paging_error
            mailbox, folder = resolve_folder(call, folder_element)
        except ResponseError as error:
            messages.append(error_message("FindItem", error))
            continue
        entries = mailbox.items(folder) if folder in ITEM_HOLDING else []
        entries.sort(key=lambda e: e.created_seq)
        if restriction is not None and len(restriction):
            entries = [e for e in entries if matches(restriction[0], e.data)]
        total = len(entries)
        if base == "End":
            stop = max(total - offset, 0)
            page = entries[max(stop - limit, 0) : stop]
            done = stop - len(page) <= 0
            next_offset = offset + len(page)
        else:
            page = entries[offset : offset + limit]
            next_offset = offset + len(page)
            done = next_offset >= total
        rendered = "".join(render_entry(mailbox, e, props) for e in page)
        content = (
            f'<m:RootFolder IndexedPagingOffset="{next_offset}" '
            f'TotalItemsInView="{total}" IncludesLastItemInRange="{render_bool(done)}">'
            f"<t:Items>{rendered}</t:Items></m:RootFolder>"
        )
        messages.append(success_message("FindItem", content))
    return response_body("FindItem", messages)
