#!/usr/bin/env python3
"""FAPI 2.0 end-to-end interop against a running `strongroom serve`, driven by an independent
client library (requests-oauth2client) and a plain HTTP session for the HTML login/consent pages.

Usage:
  fapi2_interop.py pki --out DIR
      writes a test CA (ca.pem) and a client certificate signed by it (client.pem, client.key)
  fapi2_interop.py flow --issuer URL --ca PEM --strongroom BIN --data-dir DIR --mode dpop|mtls [--pki DIR]
      registers a client and a user with the strongroom CLI (through the running server's admin
      socket), then runs PAR + PKCE + (private_key_jwt + DPoP | tls_client_auth + certificate-bound
      tokens) → login → TOTP → consent → token → userinfo → refresh → code reuse (must fail and
      revoke). Prints one JSON line of facts; exits non-zero on any deviation.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import re
import secrets
import struct
import subprocess
import sys
import time
import urllib.parse

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from jwskate import Jwk
from requests_oauth2client import OAuth2Client, PrivateKeyJwt, exceptions

REDIRECT_URI = "https://client.example.org/callback"


def fail(message):
    print(json.dumps({"ok": False, "error": message}))
    sys.exit(1)


def totp(secret_b32, at=None, digits=6, step=30):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(code).zfill(digits)


def cli(binary, data_dir, args, stdin=None):
    result = subprocess.run([binary, *args, "--data-dir", data_dir], input=stdin, capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        fail(f"strongroom {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def make_ca(common_name):
    """A test CA valid for two days: (certificate, private key, name)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    return ca, ca_key, ca_name


def make_pki(out):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca, ca_key, ca_name = make_ca("Strongroom Test Client CA")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example TPP"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "tpp-mtls")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    with open(f"{out}/ca.pem", "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(f"{out}/client.pem", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(f"{out}/client.key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    # A self-signed client certificate for self_signed_tls_client_auth, and its JWK with x5c.
    own_key = ec.generate_private_key(ec.SECP256R1())
    own_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tpp-self-signed")])
    own = (x509.CertificateBuilder().subject_name(own_name).issuer_name(own_name).public_key(own_key.public_key())
           .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
           .not_valid_after(now + datetime.timedelta(days=1)).sign(own_key, hashes.SHA256()))
    with open(f"{out}/selfsigned.pem", "wb") as f:
        f.write(own.public_bytes(serialization.Encoding.PEM))
    with open(f"{out}/selfsigned.key", "wb") as f:
        f.write(own_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    jwk = Jwk.from_cryptography_key(own_key.public_key()).to_dict()
    jwk.update(kid="self-signed", use="sig", alg="ES256",
               x5c=[base64.b64encode(own.public_bytes(serialization.Encoding.DER)).decode()])
    with open(f"{out}/selfsigned.jwk.json", "w") as f:
        json.dump(jwk, f)
    print(json.dumps({"ok": True, "subject_dn": "CN=tpp-mtls,O=Example TPP,C=GB"}))


def SignedJwt_claims(token):
    from jwskate import SignedJwt
    return SignedJwt(str(token)).claims


def hidden_fields(html):
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    return {k: v.replace("&amp;", "&").replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<")
            .replace("&gt;", ">") for k, v in fields.items()}


def form_action(html):
    match = re.search(r'<form method="post" action="([^"]+)">', html)
    if not match:
        fail("no form on the page: " + html[:300])
    return match.group(1)


def browser_login(browser, issuer, authorization_uri, username, password, secret):
    page = browser.get(authorization_uri)
    if page.status_code != 200 or 'name="password"' not in page.text:
        fail(f"expected the login page, got {page.status_code}: {page.text[:300]}")
    origin = issuer
    login = browser.post(origin_join(origin, form_action(page.text)),
                         data={**hidden_fields(page.text), "username": username, "password": password,
                               "action": "login"}, allow_redirects=False)
    if 'name="otp"' not in login.text:
        fail(f"expected the one-time-password page, got {login.status_code}: {login.text[:300]}")
    otp = browser.post(origin_join(origin, form_action(login.text)),
                       data={**hidden_fields(login.text), "otp": totp(secret), "action": "verify"},
                       allow_redirects=False)
    if "Allow" not in otp.text or 'name="decision"' not in otp.text:
        fail(f"expected the consent page, got {otp.status_code}: {otp.text[:300]}")
    consent = browser.post(origin_join(origin, form_action(otp.text)),
                           data={**hidden_fields(otp.text), "decision": "approve"}, allow_redirects=False)
    if consent.status_code != 303:
        fail(f"consent should redirect with 303, got {consent.status_code}: {consent.text[:300]}")
    return consent.headers["Location"]


def validate_id_token(session, client, token, issuer, client_id, nonce):
    """OIDC-01/02: signed by a published key (kid in the header), iss, aud, nonce, exp, iat."""
    from jwskate import JwkSet, SignedJwt
    id_token = SignedJwt(str(token.id_token))
    jwks = JwkSet(session.get(client.jwks_uri).json())
    key = jwks.get_jwk_by_kid(id_token.headers["kid"])
    if not id_token.verify_signature(key, alg=id_token.headers["alg"]):
        fail("the ID token signature does not verify")
    claims = id_token.claims
    now = time.time()
    if claims.get("iss") != issuer or claims.get("aud") not in (client_id, [client_id]):
        fail(f"ID token iss/aud wrong: {claims}")
    if claims.get("nonce") != nonce:
        fail("the ID token does not echo the nonce")
    if not (claims.get("iat", 0) <= now + 5 and claims.get("exp", 0) > now):
        fail("the ID token is not valid now")
    if id_token.headers["alg"] not in ("ES256", "PS256"):
        fail("unexpected ID token algorithm")


def origin_join(issuer, path):
    parsed = urllib.parse.urlsplit(issuer)
    return f"{parsed.scheme}://{parsed.netloc}{path}"


def rotate_and_sign(args, client, session, client_id, browser, username, password, secret):
    """`keys rotate` while serving: the next ID token is signed by the new key, the old one is still published."""
    rotation = json.loads(cli(args.strongroom, args.data_dir, ["keys", "rotate", "--algorithm", "ES256"]))
    kids = {key["kid"] for key in session.get(client.jwks_uri).json()["keys"]}
    if rotation["newKid"] not in kids or rotation["retiredKid"] not in kids:
        fail(f"after rotation the JWKS must publish both keys: {kids} vs {rotation}")
    azr = client.authorization_request(scope="openid accounts")
    par = client.pushed_authorization_request(azr)
    # Logged in already (SSO session): no login page. The earlier grant was revoked by the code
    # reuse, so consent is asked again.
    page = browser.get(par.uri, allow_redirects=False)
    if page.status_code != 200 or 'name="decision"' not in page.text:
        fail(f"expected the consent page (SSO session, revoked grant), got {page.status_code}")
    consent = browser.post(origin_join(args.issuer, form_action(page.text)),
                           data={**hidden_fields(page.text), "decision": "approve"}, allow_redirects=False)
    token = client.authorization_code(azr.validate_callback(consent.headers["Location"]), validate=False)
    # Consent is now remembered: the next authorization returns straight to the client (303).
    azr2 = client.authorization_request(scope="openid accounts")
    again = browser.get(client.pushed_authorization_request(azr2).uri, allow_redirects=False)
    if again.status_code != 303 or "code=" not in again.headers.get("Location", ""):
        fail(f"remembered consent should redirect with a code, got {again.status_code}")
    from jwskate import SignedJwt
    kid = SignedJwt(str(token.id_token)).headers["kid"]
    if kid != rotation["newKid"]:
        fail(f"the ID token after rotation is signed by {kid}, not the new key {rotation['newKid']}")
    return {"rotated_kid_signs": True}


def check_jwt_access_token(session, client, token, issuer, client_id):
    """RFC 9068: typ at+jwt, signed by a published key, iss/aud/client_id/sub/exp/jti, cnf.jkt of the DPoP key."""
    from jwskate import JwkSet, SignedJwt
    jwt = SignedJwt(str(token.access_token))
    if jwt.headers.get("typ") != "at+jwt":
        fail(f"the access token is not an RFC 9068 JWT: {jwt.headers}")
    key = JwkSet(session.get(client.jwks_uri).json()).get_jwk_by_kid(jwt.headers["kid"])
    if not jwt.verify_signature(key, alg=jwt.headers["alg"]):
        fail("the JWT access token's signature does not verify")
    claims = jwt.claims
    for name in ("iss", "aud", "sub", "client_id", "exp", "iat", "jti"):
        if name not in claims:
            fail(f"the JWT access token lacks {name}")
    if claims["iss"] != issuer or claims["client_id"] != client_id:
        fail(f"JWT access token iss/client_id wrong: {claims}")
    if claims.get("cnf", {}).get("jkt") != token.dpop_key.dpop_jkt:
        fail("the JWT access token's cnf.jkt is not the DPoP key's thumbprint")
    return True


def introspect_as_resource(args, session, client, access_token):
    """A client registered as a protected resource introspects another client's token (RFC 7662)."""
    key = Jwk.generate(alg="ES256", kid=secrets.token_hex(8))
    resource = json.loads(cli(args.strongroom, args.data_dir, ["clients", "add", "--file", "-"], stdin=json.dumps({
        "client_name": "Accounts API", "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["client_credentials"],
        "protected_resource": True, "jwks": {"keys": [key.public_jwk().to_dict()]}})))
    rs = OAuth2Client.from_discovery_endpoint(
        issuer=args.issuer, auth=PrivateKeyJwt(resource["client_id"], key, aud=args.issuer), session=session,
        id_token_signed_response_alg="ES256")
    answer = rs.introspect_token(access_token)
    if not answer.get("active") or answer.get("client_id") == resource["client_id"]:
        fail(f"the protected resource could not introspect the client's token: {answer}")
    return True


def essential_acr(args, client, token):
    """OIDC-04: an essential SCA acr is met by password + TOTP (the ID token says so), and refused
    with access_denied for a user who has no second factor."""
    from jwskate import SignedJwt
    if SignedJwt(str(token.id_token)).claims.get("acr") != "urn:strongroom:acr:sca":
        fail("password + TOTP should give the SCA acr")
    username = "nototp-" + secrets.token_hex(4)
    password = secrets.token_urlsafe(16)
    cli(args.strongroom, args.data_dir, ["users", "add", "--username", username, "--password-stdin"],
        stdin=password + "\n")
    claims = json.dumps({"id_token": {"acr": {"essential": True, "value": "urn:strongroom:acr:sca"}}})
    azr = client.authorization_request(scope="openid accounts", claims=claims)
    par = client.pushed_authorization_request(azr)
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = args.ca
    page = browser.get(par.uri)
    login = browser.post(origin_join(args.issuer, form_action(page.text)),
                         data={**hidden_fields(page.text), "username": username, "password": password,
                               "action": "login"}, allow_redirects=False)
    location = login.headers.get("Location", "")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if login.status_code != 303 or query.get("error") != ["access_denied"] or query.get("iss") != [args.issuer]:
        fail(f"essential SCA without a second factor should end in access_denied, got {login.status_code} {location}")
    return {"essential_acr": "sca met; refused without a second factor"}


def client_credentials_and_revoke(client, session):
    """client_credentials (certificate-bound), introspection, RFC 7009 revocation."""
    token = client.client_credentials(scope="accounts")
    if token.token_type.lower() != "bearer":
        fail("client_credentials token should be certificate-bound (Bearer + cnf)")
    if not client.introspect_token(token.access_token).get("active"):
        fail("client_credentials token does not introspect as active")
    client.revoke_access_token(token.access_token)
    if client.introspect_token(token.access_token).get("active") is not False:
        fail("a revoked token still introspects as active")
    return {"client_credentials": True, "revocation": True}


def flow(args):
    facts = {"mode": args.mode}
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override the CA given here
    session.verify = args.ca
    if args.mode == "mtls":
        session.cert = (f"{args.pki}/client.pem", f"{args.pki}/client.key")
    if args.mode == "selfsigned":
        session.cert = (f"{args.pki}/selfsigned.pem", f"{args.pki}/selfsigned.key")
    client_key = Jwk.generate(alg="ES256", kid=secrets.token_hex(8))
    metadata = {
        "client_name": f"Interop TPP ({args.mode})",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"] + (["client_credentials"] if args.mode == "mtls" else []),
        "scope": "accounts",
        "id_token_signed_response_alg": "ES256",
    }
    if args.mode == "dpop":
        # RFC 9068 JWT access tokens for this client (the mtls client keeps opaque ones).
        metadata.update(token_endpoint_auth_method="private_key_jwt", dpop_bound_access_tokens=True,
                        jwks={"keys": [client_key.public_jwk().to_dict()]}, access_token_format="jwt")
    elif args.mode == "selfsigned":
        # RFC 8705 §2.2: the certificate itself is registered, as x5c of a key in the client's jwks.
        with open(f"{args.pki}/selfsigned.jwk.json") as f:
            metadata.update(token_endpoint_auth_method="self_signed_tls_client_auth",
                            jwks={"keys": [json.load(f)]}, tls_client_certificate_bound_access_tokens=True)
    else:
        metadata.update(token_endpoint_auth_method="tls_client_auth",
                        tls_client_auth_subject_dn="CN=tpp-mtls,O=Example TPP,C=GB",
                        tls_client_certificate_bound_access_tokens=True)
    registered = json.loads(cli(args.strongroom, args.data_dir, ["clients", "add", "--file", "-"],
                                stdin=json.dumps(metadata)))
    client_id = registered["client_id"]
    username = "user-" + secrets.token_hex(4)
    password = secrets.token_urlsafe(16)
    secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    cli(args.strongroom, args.data_dir, ["users", "add", "--username", username, "--password-stdin",
                                         "--totp-secret", secret], stdin=password + "\n")

    auth = PrivateKeyJwt(client_id, client_key, aud=args.issuer) if args.mode == "dpop" else client_id
    client = OAuth2Client.from_discovery_endpoint(
        issuer=args.issuer, auth=auth, session=session, redirect_uri=REDIRECT_URI,
        id_token_signed_response_alg="ES256", dpop_bound_access_tokens=(args.mode == "dpop"))
    azr = client.authorization_request(scope="openid accounts")
    par = client.pushed_authorization_request(azr)
    facts["request_uri_prefix"] = par.request_uri.split(":")[0:5]
    # The interaction id the journal uses: the request_uri's selector (for `strongroom audit`).
    facts["interaction_id"] = par.request_uri[len("urn:ietf:params:oauth:request_uri:"):].split(".")[0]
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = args.ca
    location = browser_login(browser, args.issuer, par.uri, username, password, secret)
    response = azr.validate_callback(location)  # checks state and iss (RFC 9207)
    secrets_seen = [par.request_uri, response.code, password, secret]
    # PKCE verifier, DPoP proof. (The library's own ID token validation breaks on DPoP tokens in
    # 1.8.0 — DPoPToken.__init__ misses _dpop_key — so the ID token is validated below by hand.)
    token = client.authorization_code(response, validate=False)
    validate_id_token(session, client, token, args.issuer, client_id, azr.nonce)
    facts["token_type"] = token.token_type
    if args.mode == "dpop" and token.token_type.lower() != "dpop":
        fail("expected a DPoP-bound access token")
    if args.mode in ("mtls", "selfsigned") and token.token_type.lower() != "bearer":
        fail("expected a certificate-bound Bearer token")
    if not token.id_token or not token.refresh_token:
        fail("expected an ID token and a refresh token")
    facts["id_token_sub"] = SignedJwt_claims(token.id_token).get("sub")
    try:
        userinfo = client.userinfo(token)
    except Exception as error:  # noqa: BLE001
        response_ = getattr(error, "response", None)
        fail(f"userinfo failed: {error!r} {getattr(response_, 'headers', None)} {getattr(response_, 'text', None)}")
    if userinfo.get("sub") != facts["id_token_sub"]:
        fail(f"userinfo sub {userinfo.get('sub')} differs from the ID token's")
    if args.mode == "dpop":
        facts["jwt_access_token"] = check_jwt_access_token(session, client, token, args.issuer, client_id)
        facts["resource_introspection"] = introspect_as_resource(args, session, client, token.access_token)
    # RFC 7662: the client introspects its own token; the sender constraint is in cnf.
    introspection = client.introspect_token(token.access_token)
    bound = "jkt" if args.mode == "dpop" else "x5t#S256"
    if not introspection.get("active") or bound not in introspection.get("cnf", {}):
        fail(f"introspection of a fresh token: {introspection}")
    facts["introspected_cnf"] = bound
    refreshed = client.refresh_token(token)
    facts["refreshed"] = bool(refreshed.access_token) and refreshed.access_token != token.access_token
    if client.userinfo(refreshed).get("sub") != facts["id_token_sub"]:
        fail("userinfo with the refreshed token failed")
    # SP-28: the code a second time fails, and the grant (with its tokens) is revoked.
    try:
        client.authorization_code(response)
        fail("a second use of the code was accepted")
    except exceptions.InvalidGrant:
        facts["code_reuse"] = "invalid_grant"
    # The token of the revoked grant must now be refused with 401 invalid_token. (The library reads
    # any 401 with a DPoP challenge as a nonce request and raises; the response is still there.)
    try:
        client.userinfo(refreshed)
        fail("a token of a revoked grant still works")
    except Exception as error:  # noqa: BLE001
        refused = getattr(error, "response", None)
        if refused is None or refused.status_code != 401:
            fail(f"expected 401 after revocation, got {error!r}")
        if "invalid_token" not in refused.headers.get("WWW-Authenticate", ""):
            fail(f"expected an invalid_token challenge, got {refused.headers}")
        facts["revoked_after_reuse"] = True
    secrets_seen += [token.access_token, token.refresh_token, refreshed.access_token]
    if args.mode == "dpop":  # a JWT access token carries its split token as jti: that is a secret too
        secrets_seen += [SignedJwt_claims(t.access_token)["jti"] for t in (token, refreshed)]
    if client.introspect_token(refreshed.access_token).get("active") is not False:
        fail("a token of the revoked grant still introspects as active")
    if args.mode == "dpop":
        facts.update(rotate_and_sign(args, client, session, client_id, browser, username, password, secret))
    elif args.mode == "mtls":
        facts.update(client_credentials_and_revoke(client, session))
        facts.update(essential_acr(args, client, token))
    facts["secrets"] = secrets_seen
    facts["client_id"] = client_id
    facts["ok"] = True
    print(json.dumps(facts))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    pki = sub.add_parser("pki")
    pki.add_argument("--out", required=True)
    run = sub.add_parser("flow")
    for name in ["--issuer", "--ca", "--strongroom", "--data-dir"]:
        run.add_argument(name, required=True)
    run.add_argument("--mode", choices=["dpop", "mtls", "selfsigned"], required=True)
    run.add_argument("--pki")
    args = parser.parse_args()
    if args.command == "pki":
        make_pki(args.out)
    else:
        flow(args)


if __name__ == "__main__":
    main()
