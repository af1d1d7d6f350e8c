"""WebClients for code without a Bolt request (workers, the demo): the bot token is looked up per team."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.oauth.installation_store import InstallationStore

from bot.slack_metering import CallCounter, CountedRateLimitRetry
from settings import Settings


class SlackNotInstalled(LookupError):
    """No bot token for that workspace (uninstalled, or never installed)."""


class SlackClients:
    def __init__(self, settings: Settings, installation_store: InstallationStore | None = None) -> None:
        self._settings = settings
        self._store = installation_store

    def for_team(self, team_id: str, *, enterprise_id: str | None = None) -> WebClient:
        """A client for workers: retries connection errors, 5xx, and 429 after Retry-After; every exchange and
        every 429 wait counted (bot/slack_metering.py)."""
        if self._settings.slack_bot_token is not None:
            token = self._settings.slack_bot_token
        else:
            bot = self._store.find_bot(enterprise_id=enterprise_id, team_id=team_id) if self._store else None
            if bot is None or not bot.bot_token:
                raise SlackNotInstalled(f"Hour Cap is not installed in Slack team {team_id}")
            token = bot.bot_token
        return WebClient(
            token=token,
            base_url=self._settings.slack_api_url,
            timeout=15,
            retry_handlers=[
                CallCounter(),
                ConnectionErrorRetryHandler(max_retry_count=2),
                CountedRateLimitRetry(max_retry_count=3),
                ServerErrorRetryHandler(max_retry_count=2),
            ],
        )
