"""Which Exchange contacts take part in the sync.

A contact is in scope when it carries the sync category (compared
case-insensitively), is a contact rather than a contact group, and is not
private, unless private contacts are allowed. The optional skip rule,
``skip_contact = "module:function"`` in the configuration, has the last
word: it is called with the contact's fields (the dict of
:mod:`exsync.mapping`, including ``categories`` and ``sensitivity``) and
returns ``True`` to skip the contact, ``False`` to sync it even if it is
private, or ``None`` to leave the decision to the rules above.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exsync.config import SyncSettings
from exsync.errors import ConfigError, ExsyncError

PRIVATE_SENSITIVITIES = frozenset({"private", "confidential"})

SkipRule = Callable[[dict[str, Any]], bool | None]


class SkipRuleError(ExsyncError):
    """The skip rule raised an error or returned something other than a bool."""

    failure_code = "skip-rule-failed"


@dataclass(frozen=True)
class Scope:
    """The scope rules of one run."""

    category: str
    sync_private: bool = False
    skip_rule: SkipRule | None = None

    @classmethod
    def from_settings(cls, settings: SyncSettings) -> Scope:
        """Build the scope, importing the skip rule. Raises :class:`ConfigError`."""
        rule = _load_skip_rule(settings.skip_contact) if settings.skip_contact else None
        return cls(settings.category, settings.sync_private, rule)

    def includes(self, contact: dict[str, Any]) -> bool:
        """Whether this Exchange contact syncs. Raises :class:`SkipRuleError`."""
        categories = contact.get("categories") or []
        # Outlook shows "PegaSASync " and "PegaSASync" alike, so stray spaces
        # on either side do not take a contact out of scope.
        wanted = self.category.strip().casefold()
        if not any(str(c).strip().casefold() == wanted for c in categories):
            return False
        private = str(contact.get("sensitivity") or "").casefold()
        default = self.sync_private or private not in PRIVATE_SENSITIVITIES
        if self.skip_rule is None:
            return default
        decision = self._ask_rule(contact)
        return default if decision is None else not decision

    def _ask_rule(self, contact: dict[str, Any]) -> bool | None:
        try:
            decision = self.skip_rule(dict(contact))
        except Exception as error:
            raise SkipRuleError(
                f"the skip rule raised {type(error).__name__}",
                hint="fix the function named by sync.skip_contact.",
            ) from error
        if decision is not None and not isinstance(decision, bool):
            raise SkipRuleError(
                f"the skip rule returned a {type(decision).__name__}, "
                "not True, False or None",
                hint="fix the function named by sync.skip_contact.",
            )
        return decision


def _load_skip_rule(spec: str) -> SkipRule:
    """Import the ``module:function`` named by ``spec``.

    Raises :class:`ConfigError` when it cannot be imported or is not callable.
    """
    module_name, _, function_name = spec.partition(":")
    hint = 'set sync.skip_contact to "package.module:function", importable here.'
    if not module_name or not function_name:
        raise ConfigError(f"skip_contact {spec!r} is not module:function", hint=hint)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise ConfigError(
            f"cannot import the skip rule module {module_name!r}: "
            f"{type(error).__name__}: {error}",
            hint=hint,
        ) from error
    rule = getattr(module, function_name, None)
    if not callable(rule):
        raise ConfigError(
            f"the skip rule {spec!r} is not a function in {module_name!r}", hint=hint
        )
    return rule
