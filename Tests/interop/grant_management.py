#!/usr/bin/env python3
"""Grant management (GM-01…GM-10) end to end against a running `strongroom serve`, with
requests-oauth2client as the client, plus the service desk's CLI and the customer's account page.

Usage:
  grant_management.py flow --issuer URL --ca PEM --strongroom BIN --data-dir DIR --pki DIR
      create → grant_id in the token response → merge (scopes unioned, old refresh token refused) →
      replace → GET the grant → every error case with its exact status and code → DELETE → the
      grant's tokens are dead (introspection, userinfo, refresh) → `strongroom grants list/show/revoke
      --json` through the running server. Prints one JSON line of facts (including an active grant
      for the caller to revoke with the server stopped).
  grant_management.py account --issuer URL --ca PEM --strongroom BIN --data-dir DIR
      a grant made through the authorization flow, then /account/grants in headless chromium with
      JavaScript disabled: log in (password + TOTP), see the grant, revoke it, see it revoked; the
      token is then inactive at introspection. Prints one JSON line of facts.
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import urllib.parse

import requests
from jwskate import Jwk
from requests_oauth2client import OAuth2Client, PrivateKeyJwt, exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fapi2_interop import (REDIRECT_URI, browser_login, cli, fail, form_action, hidden_fields,  # noqa: E402
                           origin_join, totp)

GM_SCOPES = "grant_management_query grant_management_revoke"


def session_for(args, cert=None):
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override the CA given here
    session.verify = args.ca
    if cert:
        session.cert = cert
    return session


def add_user(args, totp_secret=None):
    username = "gm-" + secrets.token_hex(4)
    password = secrets.token_urlsafe(16)
    extra = ["--totp-secret", totp_secret] if totp_secret else []
    cli(args.strongroom, args.data_dir, ["users", "add", "--username", username, "--password-stdin", *extra],
        stdin=password + "\n")
    return username, password


def dpop_client(args, session, name):
    """A private_key_jwt + DPoP client allowed the grant management scopes."""
    key = Jwk.generate(alg="ES256", kid=secrets.token_hex(8))
    registered = json.loads(cli(args.strongroom, args.data_dir, ["clients", "add", "--file", "-"], stdin=json.dumps({
        "client_name": name, "redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"],
        "scope": "accounts payments " + GM_SCOPES, "token_endpoint_auth_method": "private_key_jwt",
        "dpop_bound_access_tokens": True, "jwks": {"keys": [key.public_jwk().to_dict()]},
        "id_token_signed_response_alg": "ES256"})))
    client = OAuth2Client.from_discovery_endpoint(
        issuer=args.issuer, auth=PrivateKeyJwt(registered["client_id"], key, aud=args.issuer), session=session,
        redirect_uri=REDIRECT_URI, id_token_signed_response_alg="ES256", dpop_bound_access_tokens=True)
    return client, registered["client_id"]


def mtls_client(args, session, name):
    """A tls_client_auth client with certificate-bound tokens, allowed the grant management scopes."""
    registered = json.loads(cli(args.strongroom, args.data_dir, ["clients", "add", "--file", "-"], stdin=json.dumps({
        "client_name": name, "redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"],
        "scope": "accounts " + GM_SCOPES, "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": "CN=tpp-mtls,O=Example TPP,C=GB",
        "tls_client_certificate_bound_access_tokens": True, "id_token_signed_response_alg": "ES256"})))
    client = OAuth2Client.from_discovery_endpoint(
        issuer=args.issuer, auth=registered["client_id"], session=session, redirect_uri=REDIRECT_URI,
        id_token_signed_response_alg="ES256")
    return client, registered["client_id"]


def consent(browser, issuer, uri, expect_on_page=()):
    """With an SSO session: the consent page, approved; returns the redirect's Location."""
    page = browser.get(uri, allow_redirects=False)
    if page.status_code != 200 or 'name="decision"' not in page.text:
        fail(f"expected the consent page, got {page.status_code}: {page.text[:300]}")
    for text in expect_on_page:
        if text not in page.text:
            fail(f"the consent page does not show {text!r}: {page.text[:1500]}")
    approved = browser.post(origin_join(issuer, form_action(page.text)),
                            data={**hidden_fields(page.text), "decision": "approve"}, allow_redirects=False)
    if approved.status_code != 303:
        fail(f"consent should redirect with 303, got {approved.status_code}: {approved.text[:300]}")
    return approved.headers["Location"]


def authorize(client, browser, issuer, scope, expect_on_page=(), **params):
    azr = client.authorization_request(scope=scope, **params)
    location = consent(browser, issuer, client.pushed_authorization_request(azr).uri, expect_on_page)
    return client.authorization_code(azr.validate_callback(location), validate=False)


def grant_id_of(token):
    return token.kwargs.get("grant_id")


def scopes_of(token):
    return set((token.scope or "").split())


def gm_call(session, method, url, token=None, scheme="DPoP", proof=True):
    """A grant management request; with a DPoP token, a proof for exactly this request (with ath)."""
    headers = {}
    if token is not None:
        access_token = token if isinstance(token, str) else token.access_token
        headers["Authorization"] = f"{scheme} {access_token}"
        if proof and not isinstance(token, str) and hasattr(token, "dpop_key"):
            ath = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
            headers["DPoP"] = str(token.dpop_key.proof(htm=method, htu=url, ath=ath))
    return session.request(method, url, headers=headers, allow_redirects=False)


def expect_status(response, status, what, error=None):
    if response.status_code != status:
        fail(f"{what}: expected {status}, got {response.status_code} {response.headers} {response.text[:300]}")
    if error is not None:
        body = response.json() if response.content else {}
        if body.get("error") != error:
            fail(f"{what}: expected error {error}, got {body}")
    if status == 401 and "invalid_token" not in response.headers.get("WWW-Authenticate", ""):
        fail(f"{what}: a 401 needs an invalid_token challenge, got {response.headers}")


def expect_par_error(client, status, error, what, scope="accounts", **params):
    try:
        client.pushed_authorization_request(client.authorization_request(scope=scope, **params))
    except exceptions.EndpointError as refused:
        if refused.response.status_code != status or refused.error != error:
            fail(f"{what}: expected {status} {error}, got {refused.response.status_code} {refused.error}")
        return
    fail(f"{what}: the pushed request was accepted")


def expect_refresh_refused(client, token, what):
    try:
        client.refresh_token(token)
    except exceptions.InvalidGrant:
        return
    except exceptions.EndpointError as other:
        fail(f"{what}: expected invalid_grant, got {other.error}")
    fail(f"{what}: the refresh token still works")


def flow(args):
    facts = {}
    session = session_for(args)
    client, client_id = dpop_client(args, session, "Grants TPP")
    secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    username, password = add_user(args, totp_secret=secret)
    browser = session_for(args)
    issuer = args.issuer

    # GM-02, GM-05: create → the token response names the grant.
    azr = client.authorization_request(scope="openid accounts grant_management_query",
                                       grant_management_action="create")
    location = browser_login(browser, issuer, client.pushed_authorization_request(azr).uri, username, password,
                             secret)
    if "grant_id" in urllib.parse.parse_qs(urllib.parse.urlsplit(location).query):
        fail("grant_id must not be in the authorization response (GM-05)")
    created = client.authorization_code(azr.validate_callback(location), validate=False)
    grant_id = grant_id_of(created)
    if not grant_id or not created.refresh_token:
        fail(f"the token response after create lacks grant_id or refresh_token: {created.as_dict()}")
    facts["grant_id_returned"] = True
    subject = client.userinfo(created)["sub"]

    # Without an action, no grant_id (remembered consent: the same grant covers the request).
    plain_azr = client.authorization_request(scope="openid accounts")
    again = browser.get(client.pushed_authorization_request(plain_azr).uri, allow_redirects=False)
    if again.status_code != 303:
        fail(f"remembered consent should redirect at once, got {again.status_code}")
    plain = client.authorization_code(plain_azr.validate_callback(again.headers["Location"]), validate=False)
    if grant_id_of(plain) is not None:
        fail("grant_id returned although no grant_management_action was sent")

    # GM-03 merge: the consent page shows what the grant holds and what it will hold; scopes are
    # unioned; the grant's earlier refresh token stops working.
    merged = authorize(client, browser, issuer, "payments", ("accounts", "payments", "extend"),
                       grant_management_action="merge", grant_id=grant_id)
    if grant_id_of(merged) != grant_id:
        fail(f"merge should keep the grant id: {grant_id_of(merged)} vs {grant_id}")
    if scopes_of(merged) != {"openid", "accounts", "grant_management_query", "payments"}:
        fail(f"merge should union the scopes, got {merged.scope}")
    expect_refresh_refused(client, created, "the refresh token from before the merge")
    facts["merge"] = "union; old refresh token refused"

    # GM-03 replace: exactly the new scopes; the merge's refresh token stops working.
    replaced = authorize(client, browser, issuer, "openid accounts " + GM_SCOPES, ("replace",),
                         grant_management_action="replace", grant_id=grant_id)
    if grant_id_of(replaced) != grant_id or scopes_of(replaced) != {"openid", "accounts", *GM_SCOPES.split()}:
        fail(f"replace should set exactly the new scopes on the same grant: {replaced.as_dict()}")
    expect_refresh_refused(client, merged, "the refresh token from before the replace")
    if not client.refresh_token(replaced).access_token:
        fail("the refresh token issued with the replace should work")
    facts["replace"] = "exact; old refresh token refused"

    # GM-10: the metadata, in both discovery documents.
    for well_known in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        metadata = session.get(issuer + well_known).json()
        if metadata.get("grant_management_endpoint") != issuer + "/grants" \
                or metadata.get("grant_management_actions_supported") != ["query", "revoke", "create", "merge",
                                                                            "replace"] \
                or metadata.get("grant_management_action_required") is not False \
                or not set(GM_SCOPES.split()) <= set(metadata.get("scopes_supported", [])):
            fail(f"grant management metadata at {well_known}: {metadata}")

    # GM-06, GM-07: GET the grant.
    discovery = session.get(issuer + "/.well-known/openid-configuration").json()
    endpoint = discovery["grant_management_endpoint"]
    url = f"{endpoint}/{grant_id}"
    got = gm_call(session, "GET", url, replaced)
    expect_status(got, 200, "GET the grant")
    cache = got.headers.get("Cache-Control", "")
    if "no-store" not in cache or "no-cache" not in cache:
        fail(f"GET the grant must not be cached: {cache}")
    body = got.json()
    if [s["scope"] for s in body.get("scopes", [])] != ["openid accounts " + GM_SCOPES]:
        fail(f"the grant's scopes are wrong: {body}")
    for name in ("claims", "authorization_details", "created_at", "last_updated_at"):
        if name not in body:
            fail(f"the grant lacks {name}: {body}")
    if body["last_updated_at"] < body["created_at"]:
        fail(f"last_updated_at is before created_at: {body}")
    facts["query"] = body

    # GM-09 and GM-06: every error, with its status.
    expect_status(gm_call(session, "GET", f"{endpoint}/{'A' * 31}", replaced), 404, "GET an unknown grant")
    expect_status(gm_call(session, "GET", url), 401, "GET without a token")
    expect_status(gm_call(session, "GET", url, "not-a-token." + "x" * 43), 401, "GET with a bad token")
    expect_status(gm_call(session, "GET", url, replaced, proof=False), 401, "GET without a DPoP proof")
    expect_status(gm_call(session, "GET", url, plain), 403, "GET with a token lacking grant_management_query",
                  error="insufficient_scope")
    expect_status(gm_call(session, "DELETE", url, merged), 403,
                  "DELETE with a token lacking grant_management_revoke", error="insufficient_scope")
    # Another client (mTLS, certificate-bound token) may not see this grant.
    mtls_session = session_for(args, cert=(f"{args.pki}/client.pem", f"{args.pki}/client.key"))
    other, other_id = mtls_client(args, mtls_session, "Other TPP")
    other_token = authorize(other, browser, issuer, "openid accounts " + GM_SCOPES, grant_management_action="create")
    other_grant = grant_id_of(other_token)
    expect_status(gm_call(mtls_session, "GET", url, other_token.access_token, scheme="Bearer"), 403,
                  "GET another client's grant")
    expect_status(gm_call(mtls_session, "DELETE", url, other_token.access_token, scheme="Bearer"), 403,
                  "DELETE another client's grant")
    own = gm_call(mtls_session, "GET", f"{endpoint}/{other_grant}", other_token.access_token, scheme="Bearer")
    expect_status(own, 200, "GET its own grant with a certificate-bound token")
    # GM-04 at PAR: exact codes.
    expect_par_error(client, 400, "invalid_grant_id", "merge into an unknown grant",
                     grant_management_action="merge", grant_id="B" * 31)
    expect_par_error(client, 400, "invalid_grant_id", "merge into another client's grant",
                     grant_management_action="merge", grant_id=other_grant)
    expect_par_error(client, 400, "invalid_request", "grant_id with create",
                     grant_management_action="create", grant_id=grant_id)
    expect_par_error(client, 400, "invalid_request", "grant_id without an action", grant_id=grant_id)
    expect_par_error(client, 400, "invalid_request", "an unknown action", grant_management_action="update",
                     grant_id=grant_id)
    expect_par_error(client, 400, "invalid_request", "merge without grant_id", grant_management_action="merge")
    # GM-04 at authorization: another user may not merge into this user's grant (error redirect with iss).
    stranger, stranger_password = add_user(args)
    azr = client.authorization_request(scope="accounts", grant_management_action="merge", grant_id=grant_id)
    fresh = session_for(args)
    page = fresh.get(client.pushed_authorization_request(azr).uri)
    login = fresh.post(origin_join(issuer, form_action(page.text)),
                       data={**hidden_fields(page.text), "username": stranger, "password": stranger_password,
                             "action": "login"}, allow_redirects=False)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(login.headers.get("Location", "")).query)
    if login.status_code != 303 or query.get("error") != ["invalid_grant_id"] or query.get("iss") != [issuer] \
            or query.get("state") != [azr.state]:
        fail(f"another user's merge should end in invalid_grant_id with iss, got {login.status_code} {query}")
    facts["errors"] = "404 401 403 invalid_grant_id invalid_request"

    # GM-08: DELETE → 204; the grant's access and refresh tokens are dead at once.
    deleted = gm_call(session, "DELETE", url, replaced)
    expect_status(deleted, 204, "DELETE the grant")
    if deleted.content:
        fail("DELETE must answer with an empty body")
    if client.introspect_token(replaced.access_token).get("active") is not False:
        fail("an access token of the deleted grant still introspects as active")
    if client.introspect_token(replaced.refresh_token).get("active") is not False:
        fail("a refresh token of the deleted grant still introspects as active")
    userinfo = gm_call(session, "GET", discovery["userinfo_endpoint"], plain)
    expect_status(userinfo, 401, "userinfo with a token of the deleted grant")
    expect_refresh_refused(client, replaced, "the refresh token of the deleted grant")
    expect_status(gm_call(session, "GET", url, replaced), 401, "GET with a token of the deleted grant")
    facts["delete"] = "204; introspection inactive, userinfo 401, refresh invalid_grant"

    # The service desk, while the server runs (admin socket).
    listed = json.loads(cli(args.strongroom, args.data_dir, ["grants", "list", "--subject", subject, "--json"]))
    mine = {g["grant_id"]: g for g in listed}
    if mine.get(grant_id, {}).get("status") != "revoked" or mine[grant_id].get("revoked_by") != "grant_management":
        fail(f"grants list should show the deleted grant as revoked by grant_management: {mine.get(grant_id)}")
    if mine.get(other_grant, {}).get("client_name") != "Other TPP":
        fail(f"grants list should show the other client's grant: {listed}")
    shown = json.loads(cli(args.strongroom, args.data_dir, ["grants", "show", other_grant, "--json"]))
    if shown.get("status") != "active" or shown.get("scopes") != ["openid", "accounts", *GM_SCOPES.split()]:
        fail(f"grants show: {shown}")
    revoked = json.loads(cli(args.strongroom, args.data_dir, [
        "grants", "revoke", other_grant, "--reason", "customer called the service desk", "--operator", "desk-7",
        "--json"]))
    if revoked.get("status") != "revoked" or revoked.get("revoked_by") != "operator" \
            or revoked.get("revoke_reason") != "customer called the service desk":
        fail(f"grants revoke: {revoked}")
    if other.introspect_token(other_token.access_token).get("active") is not False:
        fail("a token of a grant revoked by the service desk still introspects as active")
    facts["cli_online"] = "list show revoke"

    # An active grant for the caller to revoke with the server stopped.
    spare = authorize(client, browser, issuer, "openid accounts", grant_management_action="create")
    facts.update(subject=subject, spare_grant=grant_id_of(spare), deleted_grant=grant_id, desk_grant=other_grant,
                 client_id=client_id, other_client_id=other_id)
    facts["secrets"] = [t for t in (created.access_token, created.refresh_token, merged.access_token,
                                    merged.refresh_token, replaced.access_token, replaced.refresh_token,
                                    other_token.access_token, other_token.refresh_token) if t]
    facts["ok"] = True
    print(json.dumps(facts))


def account(args):
    """/account/grants in headless chromium without JavaScript."""
    from selenium.webdriver.common.by import By

    from browser import headless_browser, wait_for, wait_until
    session = session_for(args)
    name = 'Budget <App> & "Co"'
    client, client_id = dpop_client(args, session, name)
    secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    username, password = add_user(args, totp_secret=secret)
    browser = session_for(args)
    azr = client.authorization_request(scope="openid accounts payments", grant_management_action="create")
    location = browser_login(browser, args.issuer, client.pushed_authorization_request(azr).uri, username, password,
                             secret)
    token = client.authorization_code(azr.validate_callback(location), validate=False)
    grant_id = grant_id_of(token)
    page_url = origin_join(args.issuer, urllib.parse.urlsplit(args.issuer).path + "/account/grants")
    headers = session.get(page_url).headers
    if "no-store" not in headers.get("Cache-Control", "") or "frame-ancestors 'none'" not in \
            headers.get("Content-Security-Policy", "") or "Strict-Transport-Security" not in headers \
            or any(h.lower().startswith("access-control-") for h in headers):
        fail(f"the account page's security headers are wrong: {headers}")
    driver = headless_browser(javascript=False)
    try:
        driver.get(page_url)
        wait_for(driver, By.NAME, "username").send_keys(username)
        driver.find_element(By.NAME, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "button[value=login]").click()
        # The one-time password of the next time step: the browser login above used the current one,
        # and a step is never accepted twice.
        import time
        wait_for(driver, By.NAME, "otp").send_keys(totp(secret, at=time.time() + 30))
        driver.find_element(By.CSS_SELECTOR, "button[value=verify]").click()
        row = wait_for(driver, By.CSS_SELECTOR, f'tr[data-grant-id="{grant_id}"]')
        if name not in row.find_element(By.CSS_SELECTOR, "td.client").text:
            fail(f"the account page does not show the client's name as text: {row.text}")
        if client_id not in row.text or "payments" not in row.find_element(By.CSS_SELECTOR, "td.scopes").text:
            fail(f"the account page does not show the client_id and scopes: {row.text}")
        if row.find_element(By.CSS_SELECTOR, "td.status").text != "active":
            fail(f"the grant should be active: {row.text}")
        last_used = row.find_element(By.CSS_SELECTOR, "td.last-used").text
        if not last_used.endswith("UTC"):
            fail(f"last used is not shown: {row.text}")
        # A forged revocation — the browser's cookies but no CSRF token — is refused and changes nothing.
        forged = session_for(args)
        for cookie in driver.get_cookies():
            forged.cookies.set(cookie["name"], cookie["value"])
        refused = forged.post(page_url + "/revoke", data={"grant_id": grant_id}, allow_redirects=False)
        if refused.status_code != 400 or client.introspect_token(token.access_token).get("active") is not True:
            fail(f"a revocation without the CSRF token should be refused: {refused.status_code}")
        row.find_element(By.CSS_SELECTOR, "button[value=revoke]").click()

        def revoked_row(d):
            candidate = d.find_element(By.CSS_SELECTOR, f'tr[data-grant-id="{grant_id}"]')
            text = candidate.find_element(By.CSS_SELECTOR, "td.status").text
            return candidate if text.startswith("revoked") else None

        row = wait_until(driver, revoked_row, "the revoked status after the revoke form")
        status = row.find_element(By.CSS_SELECTOR, "td.status").text
        if not status.startswith("revoked") or "by you" not in status:
            fail(f"after revoking, the grant should show as revoked by the user: {status}")
        if row.find_elements(By.CSS_SELECTOR, "button[value=revoke]"):
            fail("a revoked grant still has a revoke button")
        if "/account/grants" not in driver.current_url:
            fail(f"the revocation should come back to the list, not {driver.current_url}")
    except AssertionError as error:
        fail(str(error))
    finally:
        driver.quit()
    if client.introspect_token(token.access_token).get("active") is not False:
        fail("the token of a grant revoked on the account page still introspects as active")
    print(json.dumps({"ok": True, "grant_id": grant_id, "secrets": [token.access_token, token.refresh_token,
                                                                   password, secret]}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("flow", "account"):
        run = sub.add_parser(command)
        for name in ["--issuer", "--ca", "--strongroom", "--data-dir"]:
            run.add_argument(name, required=True)
        run.add_argument("--pki")
    args = parser.parse_args()
    flow(args) if args.command == "flow" else account(args)


if __name__ == "__main__":
    main()
