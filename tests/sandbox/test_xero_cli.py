"""``hourcap sandbox xero`` (``sandbox.xero.cli.main``) standalone: 401 without a token, and the whole flow
with
authlib's own OAuth client, which knows nothing of Hour Cap."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from authlib.integrations.httpx_client import OAuth2Client

from sandbox.xero_consent import REDIRECT_URI, SCOPES, follow_until_callback, submit_consent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def standalone() -> Iterator[dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.xero.cli", "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(11)]
        info = {}
        for line in lines:
            match = re.match(r"\s+([A-Za-z ]+?):\s+(\S+)", line)
            if match:
                info[match.group(1)] = match.group(2)
        yield info
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_standalone_refuses_unauthenticated_calls_and_serves_the_flow(standalone: dict[str, str]) -> None:
    api = standalone["accounting API"]
    assert httpx2.get(f"{api}/Organisation").status_code == 401
    client = OAuth2Client(
        standalone["client id"],
        standalone["client secret"],
        scope=SCOPES,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    url, _state = client.create_authorization_url(standalone["authorize URL"], code_verifier=verifier)
    with httpx2.Client() as browser:
        page = follow_until_callback(browser, url)
        assert page.status_code == 200
        callback = submit_consent(browser, page)
    token = client.fetch_token(
        standalone["identity URL"] + "/connect/token",
        authorization_response=callback.headers["location"],
        code_verifier=verifier,
    )
    tenant = client.get(standalone["connections URL"]).json()[0]["tenantId"]
    org = client.get(f"{api}/Organisation", headers={"xero-tenant-id": tenant})
    assert org.status_code == 200 and org.json()["Organisations"][0]["Name"]
    refreshed = client.refresh_token(standalone["identity URL"] + "/connect/token")
    assert refreshed["refresh_token"] != token["refresh_token"]
