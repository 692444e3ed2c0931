#!/usr/bin/env python3
"""Disaster recovery, seen from a client: tokens issued and revoked before a backup must behave the
same after the server is rebuilt from that backup; tokens issued after the backup are gone.

Usage (each prints one JSON line of facts; non-zero exit on any deviation):
  disaster_recovery.py issue --issuer URL --ca PEM --strongroom BIN --data-dir DIR --pki DIR --state FILE
      registers a tls_client_auth client and users, runs three authorization-code flows (login, TOTP,
      consent) and two client_credentials grants, revokes an access token, a refresh token and a
      client_credentials token (RFC 7009), and records how every token introspects now.
  disaster_recovery.py late --issuer URL --ca PEM --pki DIR --state FILE
      issues one more client_credentials token (after the backup) and records it.
  disaster_recovery.py check --issuer URL --ca PEM --pki DIR --state FILE
      after the restore: every token introspects as before the backup, the late token is unknown,
      the live refresh token refreshes and the revoked one is refused with invalid_grant.
"""
import argparse
import base64
import json
import os
import secrets
import sys

import requests
from requests_oauth2client import OAuth2Client, exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fapi2_interop import REDIRECT_URI, browser_login, cli, fail  # noqa: E402


def session_for(args):
    session = requests.Session()
    session.trust_env = False
    session.verify = args.ca
    session.cert = (f"{args.pki}/client.pem", f"{args.pki}/client.key")
    return session


def client_for(args, client_id):
    return OAuth2Client.from_discovery_endpoint(
        issuer=args.issuer, auth=client_id, session=session_for(args), redirect_uri=REDIRECT_URI)


def introspect(client, token):
    return bool(client.introspect_token(token).get("active"))


def authorization_code_flow(args, client):
    username = "dr-" + secrets.token_hex(4)
    password = secrets.token_urlsafe(16)
    secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    cli(args.strongroom, args.data_dir, ["users", "add", "--username", username, "--password-stdin",
                                         "--totp-secret", secret], stdin=password + "\n")
    azr = client.authorization_request(scope="openid accounts")
    par = client.pushed_authorization_request(azr)
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = args.ca
    location = browser_login(browser, args.issuer, par.uri, username, password, secret)
    return client.authorization_code(azr.validate_callback(location), validate=False)


def issue(args):
    metadata = {
        "client_name": "Disaster recovery TPP",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "scope": "accounts",
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": "CN=tpp-mtls,O=Example TPP,C=GB",
        "tls_client_certificate_bound_access_tokens": True,
    }
    registered = json.loads(cli(args.strongroom, args.data_dir, ["clients", "add", "--file", "-"],
                                stdin=json.dumps(metadata)))
    client_id = registered["client_id"]
    client = client_for(args, client_id)
    kept, access_revoked, refresh_revoked = (authorization_code_flow(args, client) for _ in range(3))
    cc_kept = client.client_credentials(scope="accounts")
    cc_revoked = client.client_credentials(scope="accounts")
    client.revoke_access_token(access_revoked.access_token)
    client.revoke_refresh_token(refresh_revoked.refresh_token)
    client.revoke_access_token(cc_revoked.access_token)
    access_tokens = {
        "kept": kept.access_token, "access_revoked": access_revoked.access_token,
        "refresh_revoked": refresh_revoked.access_token, "cc_kept": cc_kept.access_token,
        "cc_revoked": cc_revoked.access_token,
    }
    expected = {name: introspect(client, token) for name, token in access_tokens.items()}
    if not (expected["kept"] and expected["cc_kept"]):
        fail(f"fresh tokens should be active before the backup: {expected}")
    if expected["access_revoked"] or expected["cc_revoked"] or expected["refresh_revoked"]:
        fail(f"revoked tokens (and the grant of a revoked refresh token) should be inactive: {expected}")
    state = {"client_id": client_id, "access_tokens": access_tokens, "expected": expected,
             "refresh_kept": kept.refresh_token, "refresh_revoked": refresh_revoked.refresh_token}
    with open(args.state, "w") as f:
        json.dump(state, f)
    print(json.dumps({"ok": True, "client_id": client_id, "expected": expected}))


def late(args):
    with open(args.state) as f:
        state = json.load(f)
    client = client_for(args, state["client_id"])
    token = client.client_credentials(scope="accounts")
    if not introspect(client, token.access_token):
        fail("the token issued after the backup should be active on the original server")
    state["late"] = token.access_token
    with open(args.state, "w") as f:
        json.dump(state, f)
    print(json.dumps({"ok": True}))


def check(args):
    with open(args.state) as f:
        state = json.load(f)
    client = client_for(args, state["client_id"])
    facts = {"after_restore": {}}
    for name, token in state["access_tokens"].items():
        active = introspect(client, token)
        facts["after_restore"][name] = active
        if active != state["expected"][name]:
            fail(f"{name}: active={active} after the restore, {state['expected'][name]} before the backup")
    if "late" in state and introspect(client, state["late"]):
        fail("a token issued after the backup is active on the restored server")
    facts["late_token_gone"] = "late" in state
    refreshed = client.refresh_token(state["refresh_kept"])
    if not introspect(client, refreshed.access_token):
        fail("the token refreshed after the restore does not introspect as active")
    facts["refreshed"] = True
    try:
        client.refresh_token(state["refresh_revoked"])
        fail("a revoked refresh token refreshed after the restore")
    except exceptions.InvalidGrant:
        facts["revoked_refresh"] = "invalid_grant"
    facts["ok"] = True
    print(json.dumps(facts))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("issue", "late", "check"):
        p = sub.add_parser(name)
        for option in ["--issuer", "--ca", "--pki", "--state"]:
            p.add_argument(option, required=True)
        if name == "issue":
            p.add_argument("--strongroom", required=True)
            p.add_argument("--data-dir", required=True)
    args = parser.parse_args()
    {"issue": issue, "late": late, "check": check}[args.command](args)


if __name__ == "__main__":
    main()
