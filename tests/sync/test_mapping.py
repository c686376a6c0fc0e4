"""Exchange contact <-> CRM record conversion."""

from __future__ import annotations

import datetime

from exsync.mapping import (
    changed_fields,
    columns_from_record,
    contact_from_record,
    format_birthday,
    html_to_text,
    normalise_record,
    record_from_contact,
)

FULL = {
    "display_name": " Ada Lovelace ",
    "given_name": "Ada",
    "surname": "Lovelace",
    "company_name": "Analytical Engines",
    "job_title": "Analyst",
    "department": "R&D",
    "email_addresses": {"EmailAddress2": "ada@b.example", "EmailAddress1": "a@x.io"},
    "phone_numbers": {"MobilePhone": "+44 1", "BusinessPhone": "+44 2", "Pager": ""},
    "physical_addresses": {
        "Business": {"street": "1 St", "city": "London", "zipcode": "N1"},
        "Home": {"street": "", "city": None},
    },
    "birthday": "1815-12-10T11:59:00Z",
    "body": "Met at the <b>salon</b>",
    "body_type": "Text",
    "business_homepage": "https://ada.example",
}


def test_record_from_contact_full_contact_maps_every_field():
    record = record_from_contact(FULL)
    assert record == {
        "display_name": "Ada Lovelace",
        "given_name": "Ada",
        "middle_name": None,
        "surname": "Lovelace",
        "company": "Analytical Engines",
        "job_title": "Analyst",
        "department": "R&D",
        "emails": [
            {"label": "EmailAddress1", "address": "a@x.io"},
            {"label": "EmailAddress2", "address": "ada@b.example"},
        ],
        "phones": [
            {"label": "BusinessPhone", "number": "+44 2"},
            {"label": "MobilePhone", "number": "+44 1"},
        ],
        "addresses": {
            "business": {"street": "1 St", "city": "London", "postal_code": "N1"}
        },
        "birthday": "1815-12-10",
        "notes": "Met at the <b>salon</b>",
        "web_page": "https://ada.example",
    }


def test_format_birthday_late_utc_instant_keeps_its_calendar_date():
    assert format_birthday("1990-02-28T23:59:00Z") == "1990-02-28"
    assert format_birthday("1990-03-01T00:30:00+05:00") == "1990-03-01"


def test_format_birthday_date_and_datetime_objects_give_iso_date():
    moment = datetime.datetime(2001, 1, 2, 23, 0, tzinfo=datetime.UTC)
    assert format_birthday(datetime.date(2001, 1, 2)) == "2001-01-02"
    assert format_birthday(moment) == "2001-01-02"


def test_format_birthday_garbage_gives_none():
    assert format_birthday("not a date") is None
    assert format_birthday("2001-02-30T11:59:00Z") is None


def test_record_from_contact_html_body_becomes_plain_text():
    contact = {
        "display_name": "X",
        "body": "<html><head><style>p{}</style></head><body><p>Line one</p>"
        "<p>Line&nbsp;two &amp; more</p><script>x()</script></body></html>",
        "body_type": "HTML",
    }
    assert record_from_contact(contact)["notes"] == "Line one\n\nLine two & more"


def test_html_to_text_br_splits_lines():
    assert html_to_text("a<br>b<br/>c") == "a\nb\nc"


def test_record_from_contact_text_body_is_not_parsed_as_html():
    contact = {"display_name": "X", "body": "<p>keep</p>", "body_type": "Text"}
    assert record_from_contact(contact)["notes"] == "<p>keep</p>"


def test_contact_from_record_round_trip_gives_the_same_record():
    record = record_from_contact(FULL)
    assert record_from_contact(contact_from_record(record)) == record


def test_normalise_record_store_row_equals_mapped_record():
    record = record_from_contact(FULL)
    row = {**columns_from_record(record), "id": 7, "created_at": "x"}
    assert normalise_record(row) == record


def test_changed_fields_reordered_emails_and_blank_strings_are_equal():
    record = record_from_contact(FULL)
    noisy = dict(record, emails=list(reversed(record["emails"])), middle_name="  ")
    assert changed_fields(record, noisy) == []


def test_changed_fields_lists_differences_in_field_order():
    record = record_from_contact(FULL)
    other = dict(record, web_page="https://new.example", job_title="Lead")
    assert changed_fields(record, other) == ["job_title", "web_page"]
