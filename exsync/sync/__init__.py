"""The sync engine: Exchange contacts into the CRM store.

:func:`run_sync` runs a whole ``exsync sync``; :func:`sync_mailbox` syncs
one mailbox. The engine plans each page of changes
(:mod:`exsync.sync.plan`), then applies it with its watermark in one
transaction (:mod:`exsync.sync.apply`).
"""

from exsync.sync.mailbox import Operator, sync_mailbox
from exsync.sync.run import run_sync

__all__ = ["Operator", "run_sync", "sync_mailbox"]
