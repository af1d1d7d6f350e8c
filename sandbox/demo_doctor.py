"""Demo chapter: `hourcap doctor`'s checklist against the stand-ins, once with the walkthrough's own settings and
once with one of them broken."""

from __future__ import annotations

from typing import TYPE_CHECKING

from settings import Settings

if TYPE_CHECKING:
    from sandbox.demo import Demo


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment an operator would have written for `settings` (what `hourcap doctor` reads)."""
    values = {
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret, "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_CLIENT_ID": settings.slack_client_id, "SLACK_CLIENT_SECRET": settings.slack_client_secret,
        "SLACK_API_URL": settings.slack_api_url, "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url, "HOURCAP_ENCRYPTION_KEYS": ",".join(settings.encryption_keys),
        "HOURCAP_BASE_URL": settings.base_url, "XERO_CLIENT_ID": settings.xero_client_id,
        "XERO_CLIENT_SECRET": settings.xero_client_secret, "XERO_WEBHOOK_KEY": settings.xero_webhook_key,
        "XERO_LOGIN_URL": settings.xero_login_url, "XERO_IDENTITY_URL": settings.xero_identity_url,
        "XERO_API_URL": settings.xero_api_url, "XERO_CONNECTIONS_URL": settings.xero_connections_url,
    }
    return {name: value for name, value in values.items() if value}


def doctor(demo: Demo) -> None:
    from web.doctor import doctor as run_doctor

    demo.chapter("27. `hourcap doctor`: every setting and service checked, with the fix for what is wrong")
    env = settings_env(demo.runtime.settings)
    status = run_doctor(env, out=lambda line: demo.say(f"  {line}"), timeout=15)
    demo.say(f"→ exit status {status}")
    demo.say("The same, with XERO_WEBHOOK_KEY left out of the environment (what changed, of the same checklist):")
    del env["XERO_WEBHOOK_KEY"]
    lines: list[str] = []
    status = run_doctor(env, out=lines.append, timeout=15)
    for line in lines:
        if not line.startswith(("✓", "–")):
            demo.say(f"  {line}")
    demo.say(f"→ exit status {status}")


CHAPTERS = [doctor]
