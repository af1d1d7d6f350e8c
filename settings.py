"""Configuration from the environment (and `.env`), validated once at start.

Every variable name here is an interface that operators and outside checks rely on: keep them. A missing or
malformed value raises `SettingsError`, which the CLI prints as one line naming the variable and what to put there.
Any variable may instead be given as `NAME_FILE` pointing at a file holding the value (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///hourcap.db"
DEFAULT_PORT = 3000
DEFAULT_RETENTION_DAYS = 30  # an uninstalled workspace's data is kept this long, then purged
MAX_RETENTION_DAYS = 3650
DEFAULT_XERO_SCOPES = "offline_access accounting.invoices accounting.contacts accounting.settings.read"
DEFAULT_XERO_LOGIN_URL = "https://login.xero.com/identity/connect/authorize"
DEFAULT_XERO_IDENTITY_URL = "https://identity.xero.com"  # token: /connect/token, revocation: /connect/revocation
DEFAULT_XERO_API_URL = "https://api.xero.com/api.xro/2.0"
DEFAULT_XERO_CONNECTIONS_URL = "https://api.xero.com/connections"
SLACK_BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "im:write",
    "channels:read",
    "groups:read",
    "channels:join",
    "files:write",  # reports: the chart and the CSV to the requester's DM
)


class SettingsError(Exception):
    """A setting is missing or malformed; `str(err)` is the one line shown to the operator."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable} {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    slack_signing_secret: str
    slack_bot_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    base_url: str | None = None
    port: int = DEFAULT_PORT
    xero_client_id: str | None = None
    xero_client_secret: str | None = field(default=None, repr=False)
    xero_webhook_key: str | None = field(default=None, repr=False)
    xero_scopes: str = DEFAULT_XERO_SCOPES
    xero_login_url: str = DEFAULT_XERO_LOGIN_URL
    xero_identity_url: str = DEFAULT_XERO_IDENTITY_URL
    xero_api_url: str = DEFAULT_XERO_API_URL
    xero_connections_url: str = DEFAULT_XERO_CONNECTIONS_URL
    # PKCE with a client secret on a web app is unconfirmed for Xero (undocumented): off unless asked for.
    xero_pkce: bool = False
    # Prometheus metrics: an internal listener on this port (serve and worker), and/or `/metrics` on the web app
    # behind this Bearer token; neither set, no metrics are served.
    metrics_port: int | None = None
    metrics_token: str | None = field(default=None, repr=False)
    log_format: str = "text"  # or "json": one JSON object per line
    retention_days: int = DEFAULT_RETENTION_DAYS

    @property
    def xero_enabled(self) -> bool:
        return self.xero_client_id is not None and self.xero_client_secret is not None

    @property
    def xero_token_url(self) -> str:
        return f"{self.xero_identity_url}/connect/token"

    @property
    def xero_revocation_url(self) -> str:
        return f"{self.xero_identity_url}/connect/revocation"

    @property
    def multi_workspace(self) -> bool:
        """OAuth install (many workspaces) rather than one bot token from the environment."""
        return self.slack_client_id is not None

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def slack_authorize_url(self) -> str:
        """Slack's consent page, on the same host as the Web API (so a stand-in serves both)."""
        parsed = urlparse(self.slack_api_url)
        return f"{parsed.scheme}://{parsed.netloc}/oauth/v2/authorize"


def _read(env: Mapping[str, str], name: str) -> str | None:
    """The value of `name`, or of the file named by `name_FILE`; blank counts as unset."""
    value = env.get(name)
    file_name = env.get(f"{name}_FILE")
    if (value is None or not value.strip()) and file_name:
        try:
            with open(file_name, encoding="utf-8") as handle:
                value = handle.read()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE",
                                f"points at {file_name!r}, which cannot be read ({exc.strerror})") from None
    if value is None or not value.strip():
        return None
    return value.strip()


def _url(env: Mapping[str, str], name: str, default: str | None, schemes: tuple[str, ...]) -> str | None:
    value = _read(env, name) or default
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        wanted = " or ".join(f"{s}://…" for s in schemes)
        raise SettingsError(name, f"is not a valid URL: put a {wanted} address there "
                                 f"(got {_without_password(value)!r})")
    return value


def _without_password(value: str) -> str:
    """The value as an error may show it: whatever precedes a URL's `@` (user and password of a database or Redis)
    is never echoed, even when the URL around it is malformed."""
    if "@" not in value:
        return value
    scheme, sep, _ = value.partition("://")
    return f"{scheme}{sep}***@{value.rsplit('@', 1)[1]}" if sep else f"***@{value.rsplit('@', 1)[1]}"


def _encryption_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = _read(env, "HOURCAP_ENCRYPTION_KEYS")
    if raw is None:
        return ()
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    from cryptography.fernet import Fernet

    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise SettingsError(
                "HOURCAP_ENCRYPTION_KEYS",
                f"key #{position} is not a Fernet key: generate one with `hourcap keygen`",
            ) from None
    return keys


def load_settings(env: Mapping[str, str] | None = None, *, require_slack: bool = True) -> Settings:
    """Read and validate every setting; raise `SettingsError` for the first problem found."""
    if env is None:
        from dotenv import load_dotenv

        load_dotenv(override=False)
        env = os.environ

    signing_secret = _read(env, "SLACK_SIGNING_SECRET")
    if signing_secret is None and require_slack:
        raise SettingsError(
            "SLACK_SIGNING_SECRET",
            "is missing: copy the Signing Secret from your Slack app's Basic Information page",
        )

    bot_token = _read(env, "SLACK_BOT_TOKEN")
    client_id = _read(env, "SLACK_CLIENT_ID")
    client_secret = _read(env, "SLACK_CLIENT_SECRET")
    app_token = _read(env, "SLACK_APP_TOKEN")
    if bot_token is not None and not bot_token.startswith("xoxb-"):
        raise SettingsError("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb- (OAuth & Permissions page)")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN", "must be an app-level token starting with xapp- (Basic Information)")
    if client_id is not None and client_secret is None:
        raise SettingsError("SLACK_CLIENT_SECRET",
                            "is missing: it is required with SLACK_CLIENT_ID (Basic Information)")
    if client_secret is not None and client_id is None:
        raise SettingsError("SLACK_CLIENT_ID",
                            "is missing: it is required with SLACK_CLIENT_SECRET (Basic Information)")
    if require_slack and bot_token is None and client_id is None:
        raise SettingsError(
            "SLACK_BOT_TOKEN",
            "is missing: set it for one workspace, or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth install",
        )
    if bot_token is not None and client_id is not None:
        raise SettingsError("SLACK_BOT_TOKEN", "cannot be combined with SLACK_CLIENT_ID: choose one install mode")

    keys = _encryption_keys(env)
    if client_id is not None and not keys:
        raise SettingsError(
            "HOURCAP_ENCRYPTION_KEYS",
            "is missing: OAuth install stores bot tokens, which are encrypted; generate a key with `hourcap keygen`",
        )

    xero_id, xero_secret = _read(env, "XERO_CLIENT_ID"), _read(env, "XERO_CLIENT_SECRET")
    if xero_id is not None and xero_secret is None:
        raise SettingsError("XERO_CLIENT_SECRET", "is missing: it is required with XERO_CLIENT_ID (Xero developer "
                            "portal → your app → Configuration)")
    if xero_secret is not None and xero_id is None:
        raise SettingsError("XERO_CLIENT_ID", "is missing: it is required with XERO_CLIENT_SECRET (Xero developer "
                            "portal → your app → Configuration)")
    if xero_id is not None and not keys:
        raise SettingsError("HOURCAP_ENCRYPTION_KEYS", "is missing: Xero tokens are stored encrypted; generate a key "
                            "with `hourcap keygen`")

    api_url = _url(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL, ("http", "https")) or DEFAULT_SLACK_API_URL
    if not api_url.endswith("/"):
        api_url += "/"

    database_url = _read(env, "DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
        raise SettingsError(
            "DATABASE_URL",
            f"must be sqlite:///path.db or postgresql://user@host/db (got {_without_password(database_url)!r})",
        )

    port_raw = _read(env, "PORT")
    port = DEFAULT_PORT
    if port_raw is not None:
        if not port_raw.isdigit() or not 0 < int(port_raw) < 65536:
            raise SettingsError("PORT", f"must be a TCP port number between 1 and 65535 (got {port_raw!r})")
        port = int(port_raw)

    retention_raw = _read(env, "HOURCAP_RETENTION_DAYS")
    retention_days = DEFAULT_RETENTION_DAYS
    if retention_raw is not None:
        if not retention_raw.isdigit() or not 1 <= int(retention_raw) <= MAX_RETENTION_DAYS:
            raise SettingsError("HOURCAP_RETENTION_DAYS", "must be a whole number of days between 1 and "
                                f"{MAX_RETENTION_DAYS} (got {retention_raw!r})")
        retention_days = int(retention_raw)

    return Settings(
        slack_signing_secret=signing_secret or "",
        slack_bot_token=bot_token,
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_app_token=app_token,
        slack_api_url=api_url,
        database_url=database_url,
        redis_url=_url(env, "REDIS_URL", None, ("redis", "rediss", "unix")),
        encryption_keys=keys,
        base_url=(_url(env, "HOURCAP_BASE_URL", None, ("http", "https")) or "").rstrip("/") or None,
        port=port,
        xero_client_id=xero_id,
        xero_client_secret=xero_secret,
        xero_webhook_key=_read(env, "XERO_WEBHOOK_KEY"),
        xero_scopes=" ".join((_read(env, "XERO_SCOPES") or DEFAULT_XERO_SCOPES).split()),
        xero_login_url=_xero_url(env, "XERO_LOGIN_URL", DEFAULT_XERO_LOGIN_URL),
        xero_identity_url=_xero_url(env, "XERO_IDENTITY_URL", DEFAULT_XERO_IDENTITY_URL),
        xero_api_url=_xero_url(env, "XERO_API_URL", DEFAULT_XERO_API_URL),
        xero_connections_url=_xero_url(env, "XERO_CONNECTIONS_URL", DEFAULT_XERO_CONNECTIONS_URL),
        xero_pkce=_flag(env, "XERO_PKCE"),
        metrics_port=_metrics_port(env, port),
        metrics_token=_metrics_token(env),
        log_format=log_format(env),
        retention_days=retention_days,
    )


LOG_FORMATS = ("text", "json")


def log_format(env: Mapping[str, str]) -> str:
    """HOURCAP_LOG_FORMAT: `text` (the default) or `json` (one JSON object per line)."""
    value = (_read(env, "HOURCAP_LOG_FORMAT") or "text").lower()
    if value not in LOG_FORMATS:
        raise SettingsError("HOURCAP_LOG_FORMAT", f"must be text or json (got {value!r})")
    return value


def _metrics_port(env: Mapping[str, str], web_port: int) -> int | None:
    raw = _read(env, "HOURCAP_METRICS_PORT")
    if raw is None:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError("HOURCAP_METRICS_PORT", f"must be a TCP port number between 1 and 65535 (got {raw!r})")
    if int(raw) == web_port:
        raise SettingsError("HOURCAP_METRICS_PORT", f"must differ from PORT ({web_port}): it is a separate, "
                            "internal listener")
    return int(raw)


def _metrics_token(env: Mapping[str, str]) -> str | None:
    token = _read(env, "HOURCAP_METRICS_TOKEN")
    if token is not None and (len(token) < 16 or any(c.isspace() for c in token)):
        raise SettingsError("HOURCAP_METRICS_TOKEN", "must be at least 16 characters without spaces: generate one "
                            "with `openssl rand -hex 32`")
    return token


def _xero_url(env: Mapping[str, str], name: str, default: str) -> str:
    return (_url(env, name, default, ("http", "https")) or default).rstrip("/")


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (_read(env, name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(name, f"must be true or false (got {value!r})")
