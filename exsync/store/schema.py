"""The store's schema, as named migrations applied in order.

Each migration runs inside a transaction with the record of it having been
applied, so a store is always at one known version. Never edit a migration
that has shipped: add a new one.

Why the schema looks as it does:

- ``crm_contacts`` is shared with the CRM itself, which writes to it
  directly. Triggers record every change those programs make in
  ``crm_changes``, so a later sync finds them without scanning the table.
  exsync marks its own writes by setting ``change_origin`` inside the same
  transaction, so it never mistakes its own writes for a user's edit.
- ``contact_emails`` is kept by triggers too: matching an Exchange contact
  to an existing CRM contact by address is an indexed look-up, whatever the
  size of the table.
- ``links`` pair a CRM contact with an Exchange item and keep the fields as
  they were last synced: the common ancestor of a three-way merge. A link
  outlives a CRM contact deleted by another program (``contact_id`` becomes
  NULL), so the delete can still be carried to Exchange.
- ``sync_state`` keeps each mailbox's watermark. It is written in the same
  transaction as the changes it covers.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("exsync")
# Every migration this code knows, in order: a store that has applied one
# not in this list was written by a newer exsync.
KNOWN_MIGRATIONS = ("0001_initial", "0002_trim_address_keys")

# SQL for the current time as the store writes every timestamp: UTC, ISO 8601
# with milliseconds, so that text order is time order.
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    """Create the tables, their indexes and the triggers that log CRM changes."""
    db.executescript(_INITIAL.replace("{now}", NOW))


_INITIAL = """
CREATE TABLE operators (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL,
    -- the address case-folded: addresses compare case-insensitively
    email_key TEXT NOT NULL UNIQUE,
    contact_sync INTEGER NOT NULL DEFAULT 1 CHECK (contact_sync IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT ({now}),
    updated_at TEXT NOT NULL DEFAULT ({now})
);

CREATE TABLE crm_contacts (
    id INTEGER PRIMARY KEY,
    owner_operator_id TEXT REFERENCES operators(id) ON DELETE SET NULL,
    display_name TEXT NOT NULL DEFAULT '',
    given_name TEXT,
    middle_name TEXT,
    surname TEXT,
    company TEXT,
    job_title TEXT,
    department TEXT,
    -- JSON: [{"label": "EmailAddress1", "address": "..."}]
    emails TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(emails)),
    -- JSON: [{"label": "MobilePhone", "number": "..."}]
    phones TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(phones)),
    -- JSON: {"business": {"street", "city", "state", "postal_code",
    -- "country"}, "home": {...}, "other": {...}}
    addresses TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(addresses)),
    birthday TEXT CHECK (birthday IS NULL OR date(birthday) = birthday),
    notes TEXT,
    web_page TEXT,
    created_at TEXT NOT NULL DEFAULT ({now}),
    updated_at TEXT NOT NULL DEFAULT ({now}),
    deleted_at TEXT
);
CREATE INDEX crm_contacts_owner ON crm_contacts(owner_operator_id);

CREATE TABLE contact_emails (
    contact_id INTEGER NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE,
    address_key TEXT NOT NULL
);
CREATE INDEX contact_emails_address ON contact_emails(address_key);
CREATE INDEX contact_emails_contact ON contact_emails(contact_id);

-- One row; exsync sets origin to 'exsync' around its own writes.
CREATE TABLE change_origin (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    origin TEXT
);
INSERT INTO change_origin (id, origin) VALUES (1, NULL);

CREATE TABLE crm_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN ('insert', 'update', 'delete')),
    origin TEXT,
    changed_at TEXT NOT NULL DEFAULT ({now})
);
CREATE INDEX crm_changes_contact ON crm_changes(contact_id);

CREATE TRIGGER crm_contacts_insert AFTER INSERT ON crm_contacts BEGIN
    INSERT INTO crm_changes (contact_id, operation, origin)
    VALUES (NEW.id, 'insert', (SELECT origin FROM change_origin WHERE id = 1));
    INSERT INTO contact_emails (contact_id, address_key)
    SELECT NEW.id, lower(trim(json_extract(value, '$.address')))
    FROM json_each(NEW.emails)
    WHERE trim(coalesce(json_extract(value, '$.address'), '')) != '';
END;

CREATE TRIGGER crm_contacts_update AFTER UPDATE ON crm_contacts BEGIN
    INSERT INTO crm_changes (contact_id, operation, origin)
    VALUES (
        NEW.id,
        CASE WHEN NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL
             THEN 'delete' ELSE 'update' END,
        (SELECT origin FROM change_origin WHERE id = 1)
    );
    DELETE FROM contact_emails WHERE contact_id = OLD.id;
    INSERT INTO contact_emails (contact_id, address_key)
    SELECT NEW.id, lower(trim(json_extract(value, '$.address')))
    FROM json_each(NEW.emails)
    WHERE trim(coalesce(json_extract(value, '$.address'), '')) != '';
END;

CREATE TRIGGER crm_contacts_delete AFTER DELETE ON crm_contacts BEGIN
    INSERT INTO crm_changes (contact_id, operation, origin)
    VALUES (OLD.id, 'delete', (SELECT origin FROM change_origin WHERE id = 1));
END;

CREATE TABLE links (
    id INTEGER PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    contact_id INTEGER UNIQUE REFERENCES crm_contacts(id) ON DELETE SET NULL,
    item_id TEXT NOT NULL,
    change_key TEXT,
    -- JSON: the mapped fields as they were when last synced
    synced TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(synced)),
    synced_at TEXT NOT NULL DEFAULT ({now}),
    -- the full walk (sync_state.walk) that last saw this item
    seen_walk INTEGER NOT NULL DEFAULT 0,
    UNIQUE (operator_id, item_id)
);

CREATE TABLE sync_state (
    operator_id TEXT PRIMARY KEY REFERENCES operators(id) ON DELETE CASCADE,
    -- 'initial' until the first complete walk, then 'incremental';
    -- 'rewalk' after Exchange refused the stored state
    phase TEXT NOT NULL DEFAULT 'initial'
        CHECK (phase IN ('initial', 'incremental', 'rewalk')),
    -- the SyncFolderItems state: the watermark
    state TEXT,
    -- counts full walks, for reconciling by item id (links.seen_walk)
    walk INTEGER NOT NULL DEFAULT 1,
    -- the last crm_changes.seq carried to Exchange
    crm_seq INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_success_at TEXT,
    updated_at TEXT NOT NULL DEFAULT ({now})
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    pid INTEGER,
    started_at TEXT NOT NULL DEFAULT ({now}),
    finished_at TEXT,
    exit_code INTEGER,
    -- JSON: the run's counters and per-mailbox outcome
    summary TEXT CHECK (summary IS NULL OR json_valid(summary))
);

-- One row per incident: a mailbox that fails, until it works again.
CREATE TABLE failures (
    id INTEGER PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    first_failed_at TEXT NOT NULL DEFAULT ({now}),
    last_failed_at TEXT NOT NULL DEFAULT ({now}),
    attempts INTEGER NOT NULL DEFAULT 1,
    emailed_at TEXT,
    resolved_at TEXT,
    recovery_emailed_at TEXT
);
CREATE UNIQUE INDEX failures_open ON failures(operator_id)
    WHERE resolved_at IS NULL;

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    watermark TEXT,
    status_frequency INTEGER NOT NULL,
    created_at TEXT NOT NULL DEFAULT ({now}),
    last_heard_at TEXT,
    ended_at TEXT,
    end_reason TEXT
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    operator_id TEXT,
    received_at TEXT NOT NULL DEFAULT ({now}),
    -- JSON: [{"type": "ModifiedEvent", "item_id": "...", ...}]
    events TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(events)),
    watermark TEXT,
    processed_at TEXT
);
CREATE INDEX notifications_pending ON notifications(operator_id)
    WHERE processed_at IS NULL;
"""


# The white space an address key is trimmed of, in SQL and in Python
# (exsync.addresses.address_key): spreadsheets and other programs leave
# tabs, line breaks and no-break spaces around addresses.
_BLANKS_SQL = "' ' || char(9, 10, 11, 12, 13, 160)"
_KEY = f"lower(trim(json_extract(value, '$.address'), {_BLANKS_SQL}))"


@migrations(name="0002_trim_address_keys")
def trim_address_keys(db: Database) -> None:
    """Trim tabs and no-break spaces from address keys, as Python does.

    0001 trimmed spaces only, so a CRM address with a trailing tab never
    matched the same address from Exchange.
    """
    db.executescript(_TRIM_ADDRESS_KEYS.replace("{key}", _KEY))


_TRIM_ADDRESS_KEYS = """
DROP TRIGGER crm_contacts_insert;
DROP TRIGGER crm_contacts_update;

CREATE TRIGGER crm_contacts_insert AFTER INSERT ON crm_contacts BEGIN
    INSERT INTO crm_changes (contact_id, operation, origin)
    VALUES (NEW.id, 'insert', (SELECT origin FROM change_origin WHERE id = 1));
    INSERT INTO contact_emails (contact_id, address_key)
    SELECT NEW.id, {key} FROM json_each(NEW.emails) WHERE {key} != '';
END;

CREATE TRIGGER crm_contacts_update AFTER UPDATE ON crm_contacts BEGIN
    INSERT INTO crm_changes (contact_id, operation, origin)
    VALUES (
        NEW.id,
        CASE WHEN NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL
             THEN 'delete' ELSE 'update' END,
        (SELECT origin FROM change_origin WHERE id = 1)
    );
    DELETE FROM contact_emails WHERE contact_id = OLD.id;
    INSERT INTO contact_emails (contact_id, address_key)
    SELECT NEW.id, {key} FROM json_each(NEW.emails) WHERE {key} != '';
END;

DELETE FROM contact_emails;
INSERT INTO contact_emails (contact_id, address_key)
SELECT c.id, {key} FROM crm_contacts c, json_each(c.emails) WHERE {key} != '';
"""
