"""The sync engine: Exchange contacts into the CRM store.

:func:`run_sync` runs a whole ``exsync sync``; :func:`sync_mailbox` syncs
one mailbox. The engine plans each page of changes
(:mod:`exsync.sync.plan`), then applies it with its watermark in one
transaction (:mod:`exsync.sync.apply`).

Only the Exchange-to-CRM direction exists so far. The shape leaves room
for the others: reverse and two-way sync would plan a second stream of
actions from ``crm_changes`` after ``sync_state.crm_seq``, merging field by
field against ``links.synced`` (the last synced version, which every
applied page already keeps); push notifications would let :func:`run_sync`
skip mailboxes with no pending row in ``notifications``.
"""

from exsync.sync.mailbox import Operator, sync_mailbox
from exsync.sync.run import run_sync

__all__ = ["Operator", "run_sync", "sync_mailbox"]
