"""Identity behaviour of the Xero sandbox: authorize, consent, tokens, revocation, connections."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from sandbox.xero import XeroSandbox
from sandbox.xero_consent import REDIRECT_URI, SCOPES, connect, submit_consent
from tests.support.xero_sandbox import running_sandbox


@pytest.fixture
def sb() -> Iterator[XeroSandbox]:
    with running_sandbox() as sandbox:
        yield sandbox


def _authorize(sb: XeroSandbox, **overrides: str) -> httpx2.Response:
    params = {
        "response_type": "code",
        "client_id": sb.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPES,
        "state": "xyz-state",
    }
    params.update(overrides)
    return httpx2.get(f"{sb.login_url}?{urlencode(params)}")


def _query(response: httpx2.Response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def _token(sb: XeroSandbox, **form: str) -> httpx2.Response:
    return httpx2.post(sb.token_url, data=form, auth=(sb.client_id, sb.client_secret))


def _code(sb: XeroSandbox, **overrides: str) -> str:
    sb.auto_consent = True
    return _query(_authorize(sb, **overrides))["code"]


def test_unknown_client_and_unregistered_redirect_get_an_error_page_not_a_redirect(sb: XeroSandbox) -> None:
    unknown = _authorize(sb, client_id="NOPE")
    assert unknown.status_code == 400 and "unauthorized_client" in unknown.text
    bad_redirect = _authorize(sb, redirect_uri="https://evil.example/cb")
    assert bad_redirect.status_code == 400 and "location" not in bad_redirect.headers


def test_broad_scopes_are_refused_for_a_new_app_but_not_an_old_one(sb: XeroSandbox) -> None:
    refused = _authorize(sb, scope="offline_access accounting.transactions")
    assert refused.status_code == 302
    assert _query(refused) | {} == {**_query(refused), "error": "invalid_scope", "state": "xyz-state"}
    sb.register_app("OLDAPP", "old-secret", [REDIRECT_URI], new_app=False)
    accepted = _authorize(sb, client_id="OLDAPP", scope="offline_access accounting.transactions")
    assert accepted.status_code == 200 and "<form" in accepted.text


def test_consent_page_offers_an_organisation_chooser_and_echoes_state(sb: XeroSandbox) -> None:
    sb.set_consenting_user("two@orgs.example", [sb.tenants.demo_tenant_id, sb.tenants.second_tenant_id])
    with httpx2.Client() as http:
        page = http.get(
            f"{sb.login_url}?"
            + urlencode(
                {
                    "response_type": "code",
                    "client_id": sb.client_id,
                    "redirect_uri": REDIRECT_URI,
                    "scope": SCOPES,
                    "state": "s1",
                }
            )
        )
        assert page.status_code == 200
        assert (
            "Demo Company (NZ)" in page.text and "Kiwi Ventures Ltd" in page.text and 'type="checkbox"' in page.text
        )
        answer = submit_consent(http, page, tenant_ids=[sb.tenants.second_tenant_id])
    assert answer.status_code == 302 and _query(answer)["state"] == "s1" and "code" in _query(answer)


def test_single_organisation_still_asks_for_consent_and_deny_says_access_denied(sb: XeroSandbox) -> None:
    sb.set_consenting_user("one@org.example", [sb.tenants.demo_tenant_id])
    with httpx2.Client() as http:
        page = http.get(str(_authorize(sb).request.url))
        assert 'type="checkbox"' not in page.text and 'name="tenant_id"' in page.text
        denied = submit_consent(http, page, action="deny")
    assert _query(denied)["error"] == "access_denied" and _query(denied)["state"] == "xyz-state"


def test_codes_are_single_use_and_expire(sb: XeroSandbox) -> None:
    code = _code(sb)
    assert (
        _token(sb, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI).status_code == 200
    )
    reused = _token(sb, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert reused.status_code == 400 and reused.json() == {"error": "invalid_grant"}
    late = _code(sb)
    sb.clock.advance(301)
    assert (
        _token(sb, grant_type="authorization_code", code=late, redirect_uri=REDIRECT_URI).json()["error"]
        == "invalid_grant"
    )


def test_pkce_s256_is_checked_when_a_challenge_was_sent(sb: XeroSandbox) -> None:
    code = _code(
        sb, code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method="S256"
    )
    wrong = _token(
        sb,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier="not-the-verifier-not-the-verifier-not-the-verifier",
    )
    assert wrong.json()["error"] == "invalid_grant"
    code = _code(
        sb, code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method="S256"
    )
    right = _token(
        sb,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    )
    assert right.status_code == 200
    plain = _authorize(sb, code_challenge="abc", code_challenge_method="plain")
    assert _query(plain)["error"] == "invalid_request"


def test_body_client_auth_and_bad_secret(sb: XeroSandbox) -> None:
    code = _code(sb)
    body_auth = httpx2.post(
        sb.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": sb.client_id,
            "client_secret": sb.client_secret,
        },
    )
    assert body_auth.status_code == 200
    bad = httpx2.post(
        sb.token_url, data={"grant_type": "refresh_token", "refresh_token": "x"}, auth=(sb.client_id, "wrong")
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"


def test_access_token_is_a_signed_jwt_with_xero_claims(sb: XeroSandbox) -> None:
    conn = connect(sb)
    keys = KeySet.import_key_set(
        httpx2.get(f"{sb.identity_url}/.well-known/openid-configuration/jwks").json()
    )
    claims = jwt.decode(conn.token["access_token"], keys).claims
    for name in ("authentication_event_id", "xero_userid", "exp", "iat", "client_id", "scope"):
        assert name in claims
    assert claims["exp"] - claims["iat"] == 1800 and conn.token["expires_in"] == 1800
    events = {
        c["authEventId"]
        for c in httpx2.get(
            sb.connections_url, headers={"Authorization": f"Bearer {conn.token['access_token']}"}
        ).json()
    }
    assert events == {claims["authentication_event_id"]}


def test_refresh_rotates_and_old_token_is_single_use_after_grace(sb: XeroSandbox) -> None:
    first = connect(sb).token["refresh_token"]
    second = _token(sb, grant_type="refresh_token", refresh_token=first).json()["refresh_token"]
    assert second != first
    third = _token(sb, grant_type="refresh_token", refresh_token=second).json()["refresh_token"]
    replay = _token(sb, grant_type="refresh_token", refresh_token=first)
    assert replay.status_code == 400 and replay.json() == {"error": "invalid_grant"}
    assert _token(sb, grant_type="refresh_token", refresh_token=third).status_code == 200
    assert sb.token_calls["refresh_token"] == 4


def test_lost_refresh_response_can_be_retried_for_thirty_minutes(sb: XeroSandbox) -> None:
    original = connect(sb).token["refresh_token"]
    lost = _token(sb, grant_type="refresh_token", refresh_token=original).json()["refresh_token"]
    sb.clock.advance(29 * 60)
    retried = _token(sb, grant_type="refresh_token", refresh_token=original)
    assert retried.status_code == 200
    # the retry supersedes the lost answer: that is how two uncoordinated refreshers kill a connection
    assert _token(sb, grant_type="refresh_token", refresh_token=lost).json()["error"] == "invalid_grant"
    fresh = retried.json()["refresh_token"]
    next_one = _token(sb, grant_type="refresh_token", refresh_token=fresh).json()["refresh_token"]
    sb.clock.advance(31 * 60)
    assert _token(sb, grant_type="refresh_token", refresh_token=fresh).json()["error"] == "invalid_grant"
    assert _token(sb, grant_type="refresh_token", refresh_token=next_one).status_code == 200


def test_refresh_token_dies_after_sixty_idle_days(sb: XeroSandbox) -> None:
    token = connect(sb).token["refresh_token"]
    sb.clock.advance(59 * 86400)
    token = _token(sb, grant_type="refresh_token", refresh_token=token).json()["refresh_token"]
    sb.clock.advance(60 * 86400 + 1)
    assert _token(sb, grant_type="refresh_token", refresh_token=token).json()["error"] == "invalid_grant"


def test_expired_or_missing_tokens_get_401_and_missing_tenant_403(sb: XeroSandbox) -> None:
    conn = connect(sb)
    assert httpx2.get(f"{sb.api_url}/Organisation").status_code == 401
    assert conn.client.get("/Organisation").status_code == 403
    assert conn.call("GET", "/Organisation").status_code == 200
    other = conn.call("GET", "/Organisation", headers={"xero-tenant-id": sb.tenants.second_tenant_id})
    assert other.status_code == 403 and other.json()["Detail"] == "AuthenticationUnsuccessful"
    sb.clock.advance(1801)
    expired = httpx2.get(
        f"{sb.api_url}/Organisation",
        headers={"Authorization": f"Bearer {conn.token['access_token']}", "xero-tenant-id": conn.tenant_id},
    )
    assert expired.status_code == 401 and expired.json()["Detail"].startswith("TokenExpired")


def test_connections_listing_filter_format_and_delete_by_connection_id(sb: XeroSandbox) -> None:
    conn = connect(sb, tenant_ids=[sb.tenants.demo_tenant_id])
    sb.auto_consent = False
    second = connect(sb, tenant_ids=[sb.tenants.second_tenant_id])
    rows = second.client.get(sb.connections_url).json()
    assert {r["tenantId"] for r in rows} == {sb.tenants.demo_tenant_id, sb.tenants.second_tenant_id}
    for row in rows:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", row["createdDateUtc"])
        assert row["tenantType"] == "ORGANISATION"
    event = next(r["authEventId"] for r in rows if r["tenantId"] == sb.tenants.second_tenant_id)
    filtered = second.client.get(sb.connections_url, params={"authEventId": event}).json()
    assert [r["tenantId"] for r in filtered] == [sb.tenants.second_tenant_id]
    by_tenant = second.client.delete(f"{sb.connections_url}/{sb.tenants.demo_tenant_id}")
    assert by_tenant.status_code == 404
    demo_conn = next(r["id"] for r in rows if r["tenantId"] == sb.tenants.demo_tenant_id)
    assert second.client.delete(f"{sb.connections_url}/{demo_conn}").status_code == 204
    assert conn.call("GET", "/Organisation").status_code == 403


def test_revocation_kills_token_set_and_its_connections(sb: XeroSandbox) -> None:
    conn = connect(sb)
    revoked = httpx2.post(
        sb.revocation_url, data={"token": conn.token["refresh_token"]}, auth=(sb.client_id, sb.client_secret)
    )
    assert revoked.status_code == 200
    assert (
        _token(sb, grant_type="refresh_token", refresh_token=conn.token["refresh_token"]).json()["error"]
        == "invalid_grant"
    )
    assert conn.call("GET", "/Organisation").status_code == 401
    fresh = connect(sb)
    assert [r["tenantId"] for r in fresh.client.get(sb.connections_url).json()] == [sb.tenants.demo_tenant_id]


def test_disconnect_from_xero_side_gives_403_but_tokens_still_refresh(sb: XeroSandbox) -> None:
    conn = connect(sb)
    assert sb.disconnect_tenant(sb.tenants.demo_tenant_id) == 1
    assert conn.call("GET", "/Organisation").status_code == 403
    assert conn.client.get(sb.connections_url).json() == []
    assert (
        _token(sb, grant_type="refresh_token", refresh_token=conn.token["refresh_token"]).status_code == 200
    )
