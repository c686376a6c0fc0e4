"""``exsync configure``: ask for every setting, or take them all as options."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
import tomli_w
from rich.console import Console

from exsync.cli import AppContext, config_option, pass_app, verbosity_options
from exsync.cli.context import setup_app_logging
from exsync.config import (
    AUTH_TYPES,
    CONFLICT_POLICIES,
    DELETE_POLICIES,
    DIRECTIONS,
    Config,
    default_store_path,
    find_config_path,
    mask_command,
    to_toml_dict,
    write_config,
)
from exsync.configcheck import SECTIONS, check_config
from exsync.errors import ConfigError
from exsync.validation import (
    SUPPORTED_VERSIONS,
    InvalidValueError,
    parse_command,
    parse_env_name,
    parse_exchange_url,
)


@dataclass(frozen=True)
class Setting:
    """One key of config.toml as ``configure`` asks for it."""

    key: str  # "section.name"
    prompt: str
    kind: click.ParamType = click.STRING
    optional: bool | Callable[[dict], bool] = False
    when: Callable[[dict], bool] = lambda values: True
    parse: Callable[[Any], Any] | None = None  # default: the config's own

    @property
    def option(self) -> str:
        return "--" + self.key.replace(".", "-").replace("_", "-")

    @property
    def is_secret(self) -> bool:
        return self.key.endswith(("password", "client_secret"))

    def is_optional(self, values: dict) -> bool:
        return self.optional(values) if callable(self.optional) else self.optional

    def check(self, value: Any) -> Any:
        section, name = self.key.split(".")
        return (self.parse or SECTIONS[section][1][name])(value)


def _auth_is(*kinds: str) -> Callable[[dict], bool]:
    return lambda values: values.get("exchange.auth", "ntlm") in kinds


SETTINGS = (
    Setting(
        "exchange.url",
        "Exchange EWS URL",
        parse=lambda value: parse_exchange_url(value, allow_http=True),
    ),
    Setting(
        "exchange.allow_http",
        "Allow plain http to this loopback address (emulator only)",
        click.BOOL,
        when=lambda values: (
            str(values.get("exchange.url", "")).strip().lower().startswith("http:")
        ),
    ),
    Setting(
        "exchange.version", "Exchange version (" + ", ".join(SUPPORTED_VERSIONS) + ")"
    ),
    Setting("exchange.auth", "Authentication", click.Choice(AUTH_TYPES)),
    Setting("exchange.username", "Service account", when=_auth_is("basic", "ntlm")),
    Setting(
        "exchange.password", "Service account password", when=_auth_is("basic", "ntlm")
    ),
    Setting("exchange.client_id", "OAuth2 client id", when=_auth_is("oauth2")),
    Setting("exchange.tenant_id", "OAuth2 tenant id", when=_auth_is("oauth2")),
    Setting("exchange.client_secret", "OAuth2 client secret", when=_auth_is("oauth2")),
    Setting("exchange.verify_tls", "Verify Exchange's TLS certificate", click.BOOL),
    Setting("exchange.timeout_seconds", "Seconds to wait for Exchange", click.INT),
    Setting("sync.integration", "Exchange contact integration on", click.BOOL),
    Setting("sync.contact_sync", "Contact sync on", click.BOOL),
    Setting("sync.direction", "Sync direction", click.Choice(DIRECTIONS)),
    Setting("sync.slot_minutes", "Slot size in minutes (15 or 30)", click.INT),
    Setting("sync.batch_size", "Contacts per EWS request (1-512)", click.INT),
    Setting("sync.category", "Outlook category that selects contacts"),
    Setting("sync.sync_private", "Sync contacts marked private", click.BOOL),
    Setting("sync.skip_contact", "Skip rule (module:function)", optional=True),
    Setting("sync.delete_policy", "On a delete", click.Choice(DELETE_POLICIES)),
    Setting(
        "sync.max_delete_share", "Largest share of deletes without asking", click.FLOAT
    ),
    Setting("sync.conflict_policy", "On a conflict", click.Choice(CONFLICT_POLICIES)),
    Setting("sync.concurrency", "Mailboxes synced at once", click.INT),
    Setting("notifications.url", "Public URL of 'exsync listen'", optional=True),
    Setting(
        "notifications.frequency_minutes",
        "Minutes of retries before a failure email",
        click.INT,
    ),
    Setting(
        "notifications.failure_recipients",
        "Failure email recipients (;-separated)",
        optional=True,
    ),
    Setting("listen.host", "Address 'exsync listen' binds to"),
    Setting("listen.port", "Port 'exsync listen' binds to", click.INT),
    Setting("smtp.host", "SMTP host"),
    Setting("smtp.port", "SMTP port", click.INT),
    Setting("smtp.starttls", "Use STARTTLS", click.BOOL),
    Setting(
        "smtp.sender",
        "Sender of failure emails",
        optional=lambda values: not values.get("notifications.failure_recipients"),
    ),
    Setting("smtp.username", "SMTP user name", optional=True),
    Setting(
        "smtp.password",
        "SMTP password",
        when=lambda values: bool(values.get("smtp.username")),
    ),
    Setting("smtp.timeout_seconds", "Seconds to wait for the SMTP server", click.INT),
    Setting("store.path", "Store (SQLite file)"),
)


def _default_of(setting: Setting, existing: dict) -> Any:
    section, name = setting.key.split(".")
    if name in existing.get(section, {}):
        value = existing[section][name]
        return "; ".join(value) if isinstance(value, list) else value
    if setting.key == "store.path":
        return str(default_store_path())
    settings_class = SECTIONS[section][0]
    default = {f.name: f.default for f in dataclasses.fields(settings_class)}.get(name)
    if default is dataclasses.MISSING or default in (None, ()):
        return None
    return default


class _CheckedNumber(click.ParamType):
    """A number type whose refusal names the setting's allowed values."""

    def __init__(self, setting: Setting) -> None:
        self.setting = setting
        self.name = setting.kind.name

    def convert(self, value: Any, param, ctx) -> Any:
        try:
            return self.setting.kind.convert(value, param, ctx)
        except click.BadParameter:
            try:
                self.setting.check(value)
            except InvalidValueError as error:
                self.fail(str(error), param, ctx)
            raise


def _value_type(setting: Setting) -> click.ParamType:
    if setting.kind in (click.INT, click.FLOAT):
        return _CheckedNumber(setting)
    return setting.kind


def _secret_options(command):
    for setting in reversed([s for s in SETTINGS if s.is_secret]):
        command = click.option(
            f"{setting.option}-command",
            help=f"{setting.prompt}: the command that prints it.",
        )(command)
        command = click.option(
            f"{setting.option}-env",
            help=f"{setting.prompt}: the environment variable holding it.",
        )(command)
    return command


def _setting_options(command):
    for setting in reversed([s for s in SETTINGS if not s.is_secret]):
        command = click.option(
            setting.option, type=_value_type(setting), help=f"{setting.prompt}."
        )(command)
    return command


@click.command("configure")
@click.option(
    "--non-interactive",
    is_flag=True,
    help="Ask nothing: take every setting from the options and the defaults.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_setting_options
@_secret_options
@config_option
@verbosity_options
@pass_app
def configure(
    app: AppContext, non_interactive: bool, as_json: bool, **options: Any
) -> None:
    """Write the configuration file, asking for each setting.

    Secrets are never asked for: give the environment variable that holds
    each one, or a command that prints it. The file is written with mode
    0600 to --config, $EXSYNC_CONFIG or $XDG_CONFIG_HOME/exsync/config.toml.

    \b
        exsync configure --non-interactive \\
          --exchange-url https://mail.example.com/EWS/Exchange.asmx \\
          --exchange-username svc-exsync@example.com \\
          --exchange-password-env EXSYNC_PASSWORD
    """
    setup_app_logging(app)
    path = find_config_path(app.config_path)
    existing = _read_existing(path)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if not setting.when(values):
            continue
        given = _given_value(setting, options)
        if given is None and not non_interactive:
            given = _ask(setting, _default_of(setting, existing), values)
        elif given is None:
            given = _default_of(setting, existing)
        if given not in (None, ""):
            values[setting.key] = given
    try:
        config = check_config(_to_document(values), path, 0o600)
    except ConfigError as error:
        raise ConfigError(
            "the settings are not valid, nothing was written:",
            hint="each key is set by its option, e.g. sync.batch_size by "
            "--sync-batch-size.",
            problems=error.problems,
        ) from None
    write_config(config, path)
    _show(config, path, as_json, app)


def _read_existing(path) -> dict:
    # Earlier answers become the defaults; a broken file is simply not used.
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _given_value(setting: Setting, options: dict[str, Any]) -> Any:
    name = setting.key.replace(".", "_")
    if not setting.is_secret:
        return options.get(name)
    env, command = options.get(f"{name}_env"), options.get(f"{name}_command")
    if env and command:
        raise click.UsageError(
            f"give {setting.option}-env or {setting.option}-command, not both"
        )
    if env:
        return {"env": env}
    return {"command": command} if command else None


def _ask(setting: Setting, default: Any, values: dict) -> Any:
    if setting.is_secret:
        return _ask_secret(setting, default)
    if setting.kind is click.BOOL:
        return click.confirm(setting.prompt, default=bool(default))
    optional = setting.is_optional(values)
    return click.prompt(
        setting.prompt,
        default="" if default is None and optional else default,
        show_default=default not in (None, ""),
        value_proc=_checker(setting, optional),
    )


def _checker(setting: Setting, optional: bool) -> Callable[[str], Any]:
    def check(text: str) -> Any:
        if optional and not text.strip():
            return ""
        try:
            value = _value_type(setting).convert(text, None, None)
            setting.check(value)
            return value
        except InvalidValueError as error:
            raise click.UsageError(str(error)) from None
        except click.BadParameter as error:
            raise click.UsageError(error.message) from None

    return check


def _ask_secret(setting: Setting, default: Any) -> dict[str, str]:
    default = default if isinstance(default, dict) else {}
    source = click.prompt(
        f"{setting.prompt} comes from",
        type=click.Choice(["env", "command"]),
        default="command" if "command" in default else "env",
    )
    parse = parse_env_name if source == "env" else parse_command
    label = "Environment variable" if source == "env" else "Command that prints it"

    def check(text: str) -> str:
        try:
            return parse(text)
        except InvalidValueError as error:
            raise click.UsageError(str(error)) from None

    known = default.get(source)
    if source == "command" and known:
        # The command may carry a token: show only its program.
        label = f"{label} [{mask_command(known)}]"
    return {
        source: click.prompt(
            label,
            default=known,
            show_default=source == "env",
            value_proc=check,
        )
    }


def _to_document(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    document: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        section, name = key.split(".")
        document.setdefault(section, {})[name] = value
    return document


def _show(config: Config, path, as_json: bool, app: AppContext) -> None:
    shown = to_toml_dict(config, mask=True)
    if as_json:
        click.echo(json.dumps({"path": str(path), "config": shown}))
        return
    if app.quiet:
        return
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"Wrote {path} (mode 0600):\n", markup=False)
    console.print(tomli_w.dumps(shown), markup=False)


COMMANDS = [configure]
