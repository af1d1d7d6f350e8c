"""manifest.yml (HTTP) and manifest.socket.yml validate against Slack's published schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.support.shared_files import SLACK_MANIFEST_SCHEMA, require

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = SLACK_MANIFEST_SCHEMA


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    require(SCHEMA, "Slack's app-manifest schema")
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@pytest.mark.parametrize("name", ["manifest.yml", "manifest.socket.yml"])
def test_manifest_is_valid(validator: jsonschema.protocols.Validator, name: str) -> None:
    manifest = yaml.safe_load((ROOT / name).read_text())
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []


def test_schema_catches_a_typo(validator: jsonschema.protocols.Validator) -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    manifest["settings"]["interactivity"]["is_enabeld"] = True
    assert list(validator.iter_errors(manifest))


def test_http_manifest_points_every_url_at_slack_events_and_declares_what_we_use() -> None:
    from settings import SLACK_BOT_SCOPES

    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    settings = manifest["settings"]
    urls = {settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"],
            settings["interactivity"]["message_menu_options_url"],
            *(c["url"] for c in manifest["features"]["slash_commands"])}
    assert {u.split("hourcap.example.com")[1] for u in urls} == {"/slack/events"}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(SLACK_BOT_SCOPES)
    assert set(settings["event_subscriptions"]["bot_events"]) >= {"app_home_opened", "app_uninstalled",
                                                                   "tokens_revoked"}
