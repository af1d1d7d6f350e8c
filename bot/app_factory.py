"""Build the Bolt app: single-workspace token mode or multi-workspace OAuth install, listeners registered."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot import errors, middleware, prompt_ack
from bot.handlers import (
    approvals,
    catalog,
    data_export,
    home,
    hours,
    invoice_actions,
    invoice_batch,
    invoice_states,
    invoices,
    locale_setting,
    lock_date,
    people,
    reports,
    sync,
    team,
    uninstall,
    wizard,
    xero,
)
from bot.install_store import EncryptedInstallationStore
from bot.profiles import profile_loader
from bot.slack_metering import request_handlers
from settings import SLACK_BOT_SCOPES, Settings
from storage.db import Database
from team.members import record_install

log = logging.getLogger(__name__)
STATE_TTL_SECONDS = 600


def _install_callbacks(settings: Settings, db: Database) -> CallbackOptions:
    def success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        client = WebClient(token=installation.bot_token, base_url=settings.slack_api_url)
        with db.session() as session:
            record_install(session, str(installation.team_id), installation.team_name, installation.enterprise_id,
                           installation.user_id, profile_loader(client))
        log.info("installed in team %s by %s", installation.team_id, installation.user_id)
        return args.default.success(args)

    def failure(args: FailureArgs) -> BoltResponse:
        log.warning("install failed: %s", args.reason)
        return args.default.failure(args)

    return CallbackOptions(success=success, failure=failure)


def installation_store(settings: Settings, db: Database) -> EncryptedInstallationStore | None:
    if not settings.multi_workspace:
        return None
    assert settings.slack_client_id is not None
    return EncryptedInstallationStore(settings.slack_client_id, db.engine)


def build_bolt_app(settings: Settings, db: Database, *, xero_limits: Any = None) -> App:
    """A fresh App per call (tests build many): listeners come from each module's register()."""
    common: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret,
        # web/slack_guard.py verifies every request on its raw bytes before Bolt sees it (and turns malformed
        # headers into 401s, which Bolt would answer with 500); Socket Mode needs no signature.
        "request_verification_enabled": False,
        "logger": logging.getLogger("hourcap.bolt"),
        # Answers as soon as the listener acks instead of at Bolt's next 10 ms poll (bot/prompt_ack.py).
        "listener_executor": prompt_ack.AckingExecutor(),
    }
    if settings.multi_workspace:
        client = WebClient(base_url=settings.slack_api_url, retry_handlers=request_handlers())
        store = installation_store(settings, db)
        assert store is not None
        app = App(
            client=client,
            # Bolt's default authorize calls auth.test on every request; with the cache it runs once per bot
            # token. The installation is still looked up per request, so an uninstall takes effect at once.
            authorize=InstallationStoreAuthorize(  # type: ignore[arg-type]  # Bolt accepts an Authorize instance
                installation_store=store, client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret, bot_only=True, client=client, cache_enabled=True,
                logger=logging.getLogger("hourcap.bolt"),
            ),
            oauth_settings=OAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                scopes=list(SLACK_BOT_SCOPES),
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
                authorization_url=settings.slack_authorize_url,
                installation_store=store,
                installation_store_bot_only=True,
                state_store=SQLAlchemyOAuthStateStore(expiration_seconds=STATE_TTL_SECONDS, engine=db.engine),
                callback_options=_install_callbacks(settings, db),
            ),
            **common,
        )
    else:
        app = App(
            client=WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url,
                             retry_handlers=request_handlers()),
            **common,
        )
    prompt_ack.register(app)  # first: every later middleware and listener sees the request's PromptAck
    errors.register(app)
    middleware.register(app, db, settings, xero_limits=xero_limits)
    hours.register_command(app)  # first of the listeners: the request Hour Cap gets most
    for surface in (approvals, home, people, team, catalog, hours, invoices, sync, xero, wizard, invoice_actions,
                    invoice_batch, invoice_states, lock_date, locale_setting):
        surface.register(app)
    reports.register(app)
    uninstall.register(app)
    data_export.register(app)
    return app
