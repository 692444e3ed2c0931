#!/usr/bin/env python3
"""Server-provided DPoP nonces (RFC 9449 §8, DPOP-10) against `strongroom serve --dpop-nonce`.

Usage:
  dpop_nonce.py flow --issuer URL --ca PEM --strongroom BIN --data-dir DIR
      PAR, token and userinfo each refuse a proof without a nonce (and with a wrong one) with
      use_dpop_nonce and the nonce in DPoP-Nonce (400 at the AS, 401 + WWW-Authenticate at userinfo),
      accept the retry that carries it, and offer the nonce on success. Prints one JSON line of facts.
"""
import argparse
import json
import os
import re
import sys

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fapi2_negative import OP, Blocked, describe, location_params, pkce_pair  # noqa: E402

NQCHAR = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")


def fail(message):
    print(json.dumps({"ok": False, "error": message}))
    sys.exit(1)


def expect_nonce_challenge(name, response, status):
    nonce = response.headers.get("DPoP-Nonce", "")
    if response.status_code != status or not NQCHAR.match(nonce):
        fail(f"{name}: expected {status} with a DPoP-Nonce header, got {describe(response)}")
    if status == 400:
        body = response.json()
        if body.get("error") != "use_dpop_nonce" or set(body) - {"error", "error_description", "error_uri"}:
            fail(f"{name}: expected error use_dpop_nonce, got {body}")
    else:
        challenge = response.headers.get("WWW-Authenticate", "")
        if not challenge.startswith("DPoP ") or 'error="use_dpop_nonce"' not in challenge:
            fail(f"{name}: expected a DPoP use_dpop_nonce challenge, got {challenge!r}")
    return nonce


def flow(args):
    op = OP(args)
    client = op.register_client("nonce")
    user = op.register_user()
    facts = {}
    verifier, challenge = pkce_pair()
    form = op.par_form(client, challenge)

    refused = op.push(client, form, dpop_key=client.dpop_key)
    nonce = expect_nonce_challenge("PAR without a nonce", refused, 400)
    facts["nonce_length"] = len(nonce)
    wrong = op.push(client, form, proof=op.proof(client.dpop_key, "POST", op.par_url, extra={"nonce": "x" + nonce[1:]}))
    expect_nonce_challenge("PAR with a wrong nonce", wrong, 400)
    pushed = op.push(client, form, proof=op.proof(client.dpop_key, "POST", op.par_url, extra={"nonce": nonce}))
    if pushed.status_code != 201:
        fail(f"PAR with the nonce: {describe(pushed)}")
    if not NQCHAR.match(pushed.headers.get("DPoP-Nonce", "")):
        fail("a successful DPoP request should be offered the current nonce in DPoP-Nonce")
    facts["par"] = "use_dpop_nonce, then 201"

    browser = op.new_session()
    page = browser.get(op.authorize_url_for(client.id, pushed.json()["request_uri"]), allow_redirects=False,
                       timeout=30)
    try:
        redirect = op.login(browser, page, user)
    except Blocked as error:
        fail(str(error))
    params, _ = location_params(redirect)
    if "code" not in params:
        fail(f"expected a code, got {describe(redirect)}")

    redeem = {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": form["redirect_uri"],
              "code_verifier": verifier}
    refused = op.token(client, redeem)
    nonce = expect_nonce_challenge("token without a nonce", refused, 400)
    token = op.token(client, redeem, proof=op.proof(client.dpop_key, "POST", op.token_url, extra={"nonce": nonce}))
    if token.status_code != 200 or token.json().get("token_type") != "DPoP":
        fail(f"token with the nonce: {describe(token)}")
    facts["token"] = "use_dpop_nonce, then 200 (the code survives the challenge)"
    access_token = token.json()["access_token"]

    refused = op.userinfo(access_token, key=client.dpop_key)
    nonce = expect_nonce_challenge("userinfo without a nonce", refused, 401)
    proof = op.proof(client.dpop_key, "GET", op.userinfo_url, access_token=access_token, extra={"nonce": nonce})
    userinfo = op.userinfo(access_token, key=client.dpop_key, proof=proof)
    if userinfo.status_code != 200 or "sub" not in userinfo.json():
        fail(f"userinfo with the nonce: {describe(userinfo)}")
    facts["userinfo"] = "401 use_dpop_nonce, then 200"
    facts["ok"] = True
    print(json.dumps(facts))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("flow")
    for name in ["--issuer", "--ca", "--strongroom", "--data-dir"]:
        run.add_argument(name, required=True)
    args = parser.parse_args()
    flow(args)


if __name__ == "__main__":
    main()
