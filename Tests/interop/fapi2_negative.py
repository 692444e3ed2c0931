#!/usr/bin/env python3
"""FAPI 2.0 negative interop checks against a running `strongroom serve`.

Usage:
  fapi2_negative.py flow --issuer URL --ca PEM --strongroom BIN --data-dir DIR

Registers two private_key_jwt + DPoP clients and two users with TOTP through the strongroom CLI
(the running server's admin socket), then sends requests the FAPI 2.0 Security Profile, RFC 9126
(PAR), RFC 7636 (PKCE), RFC 7523 (client assertions), RFC 9449 (DPoP) and OpenID Connect Core say
must be refused — and a few that must be accepted — and compares each answer with the requirement
(IDs of /work/shared/REQUIREMENTS.md; module names of the OIDF conformance suite in comments).

Client assertions and DPoP proofs are built by hand with jwskate, and every HTTP request is raw
(requests), because a client library refuses to send most of this input.

Prints one JSON line:
  {"ok": bool, "warnings": n, "checks": [{"id", "name", "expected", "observed", "pass", "level"}, ...]}
`level` is "must", or "should" for a SHOULD of the specification (a suite WARNING); `ok` is true when
every "must" check passed. Exits 0 even when checks fail (the caller lists every failure); exits
non-zero only when it cannot run at all (discovery, registration). The whole run takes about 65 s:
the expired request_uri and expired code checks wait out the 60 s lifetimes while the others run.
"""
import argparse
import base64
import hashlib
import hmac
import html as html_lib
import json
import re
import secrets
import struct
import subprocess
import sys
import time
import traceback
import urllib.parse

import requests
from jwskate import Jwk, JwkSet, Jwt, SignedJwt

REDIRECT_URI = "https://client.example.org/callback"
OTHER_REDIRECT_URI = "https://attacker.example.net/callback"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# The request_uri and code lifetimes the checks wait out (SP-16, SP-30: both at most 60 s).
LIFETIME_WAIT_SECONDS = 62


class SetupError(Exception):
    """The script cannot run at all (exit 1)."""


class Blocked(Exception):
    """A prerequisite of a group of checks failed; the group is reported as one failed check."""


def die(message):
    print(json.dumps({"ok": False, "error": message, "checks": []}))
    sys.exit(1)


# MARK: small helpers

def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ath_of(access_token):
    return b64u(hashlib.sha256(access_token.encode()).digest())


def now():
    return int(time.time())


def totp(secret_b32, at=None, digits=6, step=30):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(code).zfill(digits)


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    return verifier, b64u(hashlib.sha256(verifier.encode()).digest())


def cli(binary, data_dir, args, stdin=None):
    """The strongroom CLI; retried a few times because the binary may be relinked meanwhile."""
    last = ""
    for _ in range(4):
        try:
            result = subprocess.run([binary, *args, "--data-dir", data_dir], input=stdin, capture_output=True,
                                    text=True, timeout=120)
        except OSError as error:  # ETXTBSY / ENOENT while the binary is being relinked
            last = repr(error)
        else:
            if result.returncode == 0:
                return result.stdout
            last = f"exit {result.returncode}: {result.stderr.strip()}"
        time.sleep(2)
    raise SetupError(f"strongroom {' '.join(args)} failed: {last}")


def hidden_fields(page):
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    return {k: html_lib.unescape(v) for k, v in fields.items()}


def form_action(page):
    match = re.search(r'<form method="post" action="([^"]+)">', page)
    if not match:
        raise Blocked("no form on the page: " + page[:200])
    return html_lib.unescape(match.group(1))


def is_login_page(response):
    return 'name="password"' in response.text and 'name="username"' in response.text


def is_otp_page(response):
    return 'name="otp"' in response.text


def is_consent_page(response):
    return 'name="decision"' in response.text


def location_params(response):
    """(query parameters, fragment) of a redirect's Location; empty when there is none."""
    location = response.headers.get("Location")
    if not location:
        return {}, ""
    parts = urllib.parse.urlsplit(location)
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in query.items()}, parts.fragment


def json_body(response):
    try:
        body = response.json()
        return body if isinstance(body, dict) else {}
    except ValueError:
        return {}


def describe(response):
    """Short text of an HTTP answer for the `observed` column."""
    body = json_body(response)
    text = f"{response.status_code}"
    if body.get("error"):
        text += f" {body['error']}"
        if body.get("error_description"):
            text += f" ({body['error_description'][:140]})"
    elif response.headers.get("Location"):
        params, fragment = location_params(response)
        shown = {k: v for k, v in params.items() if k != "code"}
        if "code" in params:
            shown["code"] = "<present>"
        text += f" Location params {json.dumps(shown)[:300]}" + (f" fragment {fragment[:60]!r}" if fragment else "")
    elif "text/html" in response.headers.get("Content-Type", ""):
        kind = ("login page" if is_login_page(response) else "otp page" if is_otp_page(response)
                else "consent page" if is_consent_page(response) else "html page")
        message = re.search(r'<p class="error">([^<]*)</p>', response.text)
        text += f" {kind}" + (f" ({html_lib.unescape(message.group(1))[:140]})" if message else "")
    else:
        text += f" {response.text[:140]!r}"
    challenge = response.headers.get("WWW-Authenticate")
    if challenge:
        text += f" WWW-Authenticate: {challenge[:160]}"
    return text


# MARK: the report

class Report:
    def __init__(self):
        self.checks = []

    def add(self, cid, name, expected, observed, passed, level="must"):
        """`level` "should": a SHOULD of the specification (a conformance-suite WARNING, not a FAILURE)."""
        self.checks.append({"id": cid, "name": name, "expected": expected, "observed": observed,
                            "pass": bool(passed), "level": level})
        return bool(passed)

    def error(self, cid, name, response, statuses, errors):
        """An OAuth JSON error answer: HTTP status in `statuses` and `error` in `errors`."""
        body = json_body(response)
        passed = response.status_code in statuses and body.get("error") in errors
        expected = f"{'|'.join(map(str, sorted(statuses)))} error {'|'.join(sorted(errors))}"
        return self.add(cid, name, expected, describe(response), passed)

    def blocked(self, group, error):
        self.add("SETUP", f"{group}: the checks of this group could not run", "the prerequisite steps succeed",
                 f"{type(error).__name__}: {error}"[:600], False)


# MARK: the OP under test

class Client:
    def __init__(self, label, client_id, key, dpop_key):
        self.label = label
        self.id = client_id
        self.key = key  # client assertion key (registered in jwks)
        self.dpop_key = dpop_key


class OP:
    def __init__(self, args):
        self.args = args
        self.issuer = args.issuer
        self.session = self.new_session()
        try:
            discovery = self.session.get(self.issuer + "/.well-known/openid-configuration", timeout=30)
            self.metadata = discovery.json()
        except Exception as error:  # noqa: BLE001
            raise SetupError(f"discovery failed: {error!r}")
        self.par_url = self.metadata["pushed_authorization_request_endpoint"]
        self.authorize_url = self.metadata["authorization_endpoint"]
        self.token_url = self.metadata["token_endpoint"]
        self.userinfo_url = self.metadata.get("userinfo_endpoint", self.issuer + "/userinfo")
        self.jwks_url = self.metadata["jwks_uri"]

    def new_session(self):
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would override the CA given here
        session.verify = self.args.ca
        return session

    # clients and users

    def register_client(self, label):
        key = Jwk.generate(alg="ES256", kid=f"{label}-" + secrets.token_hex(6))
        metadata = {
            "client_name": f"Negative TPP {label}",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "accounts",
            "id_token_signed_response_alg": "ES256",
            "token_endpoint_auth_method": "private_key_jwt",
            "dpop_bound_access_tokens": True,
            "jwks": {"keys": [key.public_jwk().to_dict()]},
        }
        registered = json.loads(cli(self.args.strongroom, self.args.data_dir, ["clients", "add", "--file", "-"],
                                    stdin=json.dumps(metadata)))
        return Client(label, registered["client_id"], key, Jwk.generate(alg="ES256"))

    def register_user(self):
        username = "neg-" + secrets.token_hex(4)
        password = secrets.token_urlsafe(16)
        secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
        cli(self.args.strongroom, self.args.data_dir,
            ["users", "add", "--username", username, "--password-stdin", "--totp-secret", secret],
            stdin=password + "\n")
        return {"username": username, "password": password, "secret": secret}

    # JWTs

    def assertion(self, client, *, key=None, alg=None, drop=(), **claims):
        """A client assertion for `client` (iss = sub = client_id, aud = issuer, 60 s)."""
        t = now()
        body = {"iss": client.id, "sub": client.id, "aud": self.issuer, "jti": secrets.token_urlsafe(18),
                "iat": t, "exp": t + 60}
        body.update(claims)
        for name in drop:
            body.pop(name, None)
        signing_key = key or client.key
        return str(Jwt.sign(body, key=signing_key, alg=alg or signing_key.alg))

    @staticmethod
    def proof(key, htm, htu, *, access_token=None, ath=None, iat=None, typ="dpop+jwt", alg=None, header_jwk=None,
              drop=(), extra=None, unsigned=False, corrupt=False):
        """A DPoP proof (RFC 9449 §4.2) with every part overridable."""
        claims = {"jti": secrets.token_urlsafe(16), "htm": htm, "htu": htu, "iat": now() if iat is None else iat}
        if access_token is not None:
            claims["ath"] = ath_of(access_token)
        if ath is not None:
            claims["ath"] = ath
        claims.update(extra or {})
        for name in drop:
            claims.pop(name, None)
        jwk = header_jwk if header_jwk is not None else key.public_jwk().to_dict()
        if unsigned:
            header = {"alg": "none", "typ": typ, "jwk": jwk}
            return (b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode()) + ".")
        token = str(Jwt.sign(claims, key=key, alg=alg or key.alg, typ=typ, extra_headers={"jwk": jwk}))
        if corrupt:
            head, payload, signature = token.split(".")
            raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
            raw[5] ^= 0x01
            token = f"{head}.{payload}.{b64u(bytes(raw))}"
        return token

    # requests

    def client_auth(self, client, assertion=None):
        return {"client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion or self.assertion(client)}

    def par_form(self, client, challenge, **overrides):
        form = {"response_type": "code", "client_id": client.id, "redirect_uri": REDIRECT_URI,
                "scope": "openid accounts", "code_challenge": challenge, "code_challenge_method": "S256",
                "state": "st-" + secrets.token_urlsafe(12), "nonce": "n-" + secrets.token_urlsafe(12)}
        for name, value in overrides.items():
            if value is None:
                form.pop(name, None)
            else:
                form[name] = value
        return form

    def push(self, client, form, *, auth=True, assertion=None, dpop_key=None, proof=None, headers=None):
        body = dict(form)
        if auth:
            body.update(self.client_auth(client, assertion))
        sent = dict(headers or {})
        if proof is not None:
            sent["DPoP"] = proof
        elif dpop_key is not None:
            sent["DPoP"] = self.proof(dpop_key, "POST", self.par_url)
        return self.session.post(self.par_url, data=body, headers=sent, timeout=30)

    def token(self, client, form, *, auth=True, assertion=None, dpop_key="client", proof=None, headers=None):
        """POST /token; `dpop_key` "client" = the client's own DPoP key, None = no proof."""
        body = dict(form)
        if auth:
            body.update(self.client_auth(client, assertion))
        sent = dict(headers or {})
        if proof is not None:
            sent["DPoP"] = proof
        elif dpop_key is not None:
            key = client.dpop_key if isinstance(dpop_key, str) else dpop_key
            sent["DPoP"] = self.proof(key, "POST", self.token_url)
        return self.session.post(self.token_url, data=body, headers=sent, timeout=30)

    def authorize_url_for(self, client_id, request_uri):
        return (f"{self.authorize_url}?client_id={urllib.parse.quote(client_id, safe='')}"
                f"&request_uri={urllib.parse.quote(request_uri, safe='')}")

    def userinfo(self, access_token, *, scheme="DPoP", key=None, proof="auto", header_name="DPoP", params=None,
                 authorization=True):
        headers = {}
        if authorization:
            headers["Authorization"] = f"{scheme} {access_token}"
        if proof == "auto":
            proof = self.proof(key, "GET", self.userinfo_url, access_token=access_token)
        if proof is not None:
            headers[header_name] = proof
        return self.session.get(self.userinfo_url, headers=headers, params=params, timeout=30)

    # browser

    def login(self, browser, first_page, user, *, on_consent=None):
        """From a login page through password, TOTP and consent; returns the final redirect response."""
        if not is_login_page(first_page):
            raise Blocked(f"expected the login page, got {describe(first_page)}")
        login = browser.post(self.origin(form_action(first_page.text)),
                             data={**hidden_fields(first_page.text), "username": user["username"],
                                   "password": user["password"], "action": "login"},
                             allow_redirects=False, timeout=30)
        if not is_otp_page(login):
            raise Blocked(f"expected the one-time-password page, got {describe(login)}")
        otp = browser.post(self.origin(form_action(login.text)),
                           data={**hidden_fields(login.text), "otp": totp(user["secret"]), "action": "verify"},
                           allow_redirects=False, timeout=30)
        if otp.status_code == 303:
            return otp
        if not is_consent_page(otp):
            raise Blocked(f"expected the consent page, got {describe(otp)}")
        if on_consent:
            on_consent(otp)
        return self.approve(browser, otp)

    def approve(self, browser, consent_page):
        consent = browser.post(self.origin(form_action(consent_page.text)),
                               data={**hidden_fields(consent_page.text), "decision": "approve"},
                               allow_redirects=False, timeout=30)
        if consent.status_code != 303:
            raise Blocked(f"consent should redirect with 303, got {describe(consent)}")
        return consent

    def origin(self, path):
        parsed = urllib.parse.urlsplit(self.issuer)
        return f"{parsed.scheme}://{parsed.netloc}{path}"

    def code_via_session(self, browser, client, *, dpop_key="client", **overrides):
        """PAR + authorization with a browser that is logged in (consent given or given now)."""
        verifier, challenge = pkce_pair()
        form = self.par_form(client, challenge, **overrides)
        key = client.dpop_key if isinstance(dpop_key, str) else dpop_key
        pushed = self.push(client, form, dpop_key=key)
        if pushed.status_code != 201:
            raise Blocked(f"PAR failed: {describe(pushed)}")
        page = browser.get(self.authorize_url_for(client.id, pushed.json()["request_uri"]), allow_redirects=False,
                           timeout=30)
        if page.status_code == 200 and is_consent_page(page):
            page = self.approve(browser, page)
        params, _ = location_params(page)
        if page.status_code != 303 or "code" not in params:
            raise Blocked(f"expected a redirect with a code, got {describe(page)}")
        return {"code": params["code"], "verifier": verifier, "form": form, "redirect": page,
                "request_uri": pushed.json()["request_uri"]}

    def redeem_form(self, flow, **overrides):
        form = {"grant_type": "authorization_code", "code": flow["code"], "redirect_uri": REDIRECT_URI,
                "code_verifier": flow["verifier"]}
        for name, value in overrides.items():
            if value is None:
                form.pop(name, None)
            else:
                form[name] = value
        return form


# MARK: the checks

def check_par(op, report, c1, c2):
    """PAR endpoint (RFC 9126) and the pushed request's validation (SP-20, SP-24, SP-25, PKCE-01)."""
    _, challenge = pkce_pair()

    # fapi2-...-par-attempt-invalid-http-method
    response = op.session.get(op.par_url, timeout=30)
    report.add("PAR-01", "GET /par is refused with 405", "405", describe(response), response.status_code == 405)

    # SP-23 / fapi2-...-ensure-client-assertion-in-token-endpoint (at PAR): client_id only.
    response = op.push(c1, op.par_form(c1, challenge), auth=False)
    report.error("SP-23", "PAR with client_id but no client authentication", response, {401}, {"invalid_client"})
    form = op.par_form(c1, challenge, client_id=None)
    response = op.push(c1, form, auth=False)
    report.error("SP-23", "PAR with no client identification at all", response, {401}, {"invalid_client"})

    # fapi2-...-par-authorization-request-containing-request_uri-form-param
    response = op.push(c1, op.par_form(c1, challenge, request_uri=REQUEST_URI_PREFIX + secrets.token_urlsafe(24)))
    report.error("PAR-03", "request_uri in the PAR body", response, {400},
                 {"invalid_request", "invalid_request_object", "request_uri_not_supported"})

    # fapi2-...-ensure-response-type-code-idtoken-fails / -token-fails
    for response_type in ["code id_token", "token"]:
        response = op.push(c1, op.par_form(c1, challenge, response_type=response_type))
        report.error("SP-20", f"response_type={response_type!r} at PAR", response, {400},
                     {"unsupported_response_type", "invalid_request"})

    # fapi2-...-ensure-redirect-uri-in-authorization-request (PAR-400 chosen by this OP)
    response = op.push(c1, op.par_form(c1, challenge, redirect_uri=None))
    report.error("SP-25", "PAR without redirect_uri", response, {400}, {"invalid_request"})
    response = op.push(c1, op.par_form(c1, challenge, redirect_uri=OTHER_REDIRECT_URI))
    report.error("PAR-04/SP-12", "PAR with an unregistered redirect_uri", response, {400}, {"invalid_request"})

    # fapi2-...-par-ensure-pkce-required, -par-plain-pkce-rejected
    response = op.push(c1, op.par_form(c1, challenge, code_challenge=None, code_challenge_method=None))
    report.error("SP-24/PKCE-01", "PAR without code_challenge", response, {400}, {"invalid_request"})
    response = op.push(c1, op.par_form(c1, challenge, code_challenge_method="plain"))
    report.error("SP-24/PKCE-01", "PAR with code_challenge_method=plain", response, {400}, {"invalid_request"})
    response = op.push(c1, op.par_form(c1, challenge, code_challenge_method=None))
    report.error("PKCE-01", "PAR with code_challenge but no code_challenge_method", response, {400},
                 {"invalid_request"})

    # PAR-05, SP-30: the success answer.
    response = op.push(c1, op.par_form(c1, challenge), dpop_key=c1.dpop_key)
    body = json_body(response)
    cache = response.headers.get("Cache-Control", "")
    expires_in = body.get("expires_in")
    ok = (response.status_code == 201 and isinstance(expires_in, int) and 5 <= expires_in <= 60
          and "no-store" in cache and str(body.get("request_uri", "")).startswith(REQUEST_URI_PREFIX)
          and "application/json" in response.headers.get("Content-Type", ""))
    report.add("PAR-05/SP-30", "successful PAR: 201, JSON request_uri (urn:...:request_uri:), 5 <= expires_in <= 60, "
               "Cache-Control no-store",
               "201 application/json, request_uri urn:ietf:params:oauth:request_uri:…, expires_in ≤ 60, no-store",
               f"{response.status_code} {response.headers.get('Content-Type')} expires_in={expires_in} "
               f"Cache-Control={cache!r} request_uri prefix ok="
               f"{str(body.get('request_uri', '')).startswith(REQUEST_URI_PREFIX)}", ok)

    # fapi2-...-ensure-mismatched-dpop-jkt-fails
    response = op.push(c1, op.par_form(c1, challenge, dpop_jkt=c2.dpop_key.thumbprint()), dpop_key=c1.dpop_key)
    report.error("DPOP-13", "PAR with dpop_jkt differing from the PAR's DPoP proof key", response, {400},
                 {"invalid_dpop_proof", "invalid_request"})

    # RFC 6749 §3.1 / PAR-01: parameters at most once; form encoding only.
    pairs = list(op.par_form(c1, challenge).items()) + [("scope", "openid")] + list(op.client_auth(c1).items())
    response = op.session.post(op.par_url, data=pairs, timeout=30)
    report.error("PAR-04", "PAR with a parameter (scope) sent twice", response, {400}, {"invalid_request"})
    response = op.session.post(op.par_url, json={**op.par_form(c1, challenge), **op.client_auth(c1)}, timeout=30)
    report.error("PAR-01", "PAR with a JSON body instead of a form", response, {400}, {"invalid_request"})
    # DPOP-08 at PAR: the same proof twice (the first push is accepted).
    proof = op.proof(c1.dpop_key, "POST", op.par_url)
    first = op.push(c1, op.par_form(c1, challenge), proof=proof)
    second = op.push(c1, op.par_form(c1, challenge), proof=proof)
    report.add("DPOP-08", "replayed DPoP proof at PAR: first push accepted", "201", describe(first),
               first.status_code == 201)
    report.error("DPOP-08", "replayed DPoP proof at PAR: second push refused", second, {400}, {"invalid_dpop_proof"})

    # DPoP proof at PAR: a broken proof is refused like at the token endpoint.
    response = op.push(c1, op.par_form(c1, challenge),
                       proof=op.proof(c1.dpop_key, "POST", op.token_url))
    report.error("DPOP-06", "PAR with a DPoP proof whose htu is the token endpoint", response, {400},
                 {"invalid_dpop_proof"})


def check_client_assertions(op, report, c1, c2):
    """private_key_jwt at PAR (and the token endpoint): SP-11, SP-13, SP-18, SP-37, CA-02…CA-08."""
    _, challenge = pkce_pair()
    form = op.par_form(c1, challenge)
    t = now()
    statuses, errors = {400, 401}, {"invalid_client", "invalid_request"}

    # fapi2-...-par-test-array-as-audience-fails, -par-endpoint-url-as-audience-fails, -token-endpoint-url-...
    for label, aud in [("aud = [issuer] (array)", [op.issuer]),
                       ("aud = [issuer, another server] (array)", [op.issuer, "https://other-as.example.com"]),
                       ("aud = token endpoint URL", op.token_url),
                       ("aud = PAR endpoint URL", op.par_url),
                       ("aud = another server", "https://other-as.example.com")]:
        response = op.push(c1, form, assertion=op.assertion(c1, aud=aud))
        report.error("SP-13/CA-03", f"client assertion {label}", response, statuses, errors)

    # fapi2-...-ensure-client-assertion-with-no-sub-fails
    response = op.push(c1, form, assertion=op.assertion(c1, drop=("sub",)))
    report.error("CA-02", "client assertion without sub", response, statuses, errors)
    response = op.push(c1, form, assertion=op.assertion(c1, sub=c2.id))
    report.error("CA-02", "client assertion with sub ≠ iss", response, statuses, errors)

    # fapi2-...-ensure-client-assertion-with-exp-is-5-minutes-in-past-fails
    response = op.push(c1, form, assertion=op.assertion(c1, iat=t - 360, exp=t - 300))
    report.error("CA-04", "client assertion with exp 5 min in the past", response, statuses, errors)
    response = op.push(c1, form, assertion=op.assertion(c1, drop=("exp",)))
    report.error("CA-04", "client assertion without exp", response, statuses, errors)
    response = op.push(c1, form, assertion=op.assertion(c1, drop=("jti",)))
    report.error("CA-05", "client assertion without jti", response, statuses, errors)

    # fapi2-...-par-ensure-jwt-client-assertions-nbf-8-seconds-in-the-future-is-accepted
    t = now()
    response = op.push(c1, form, assertion=op.assertion(c1, iat=t + 8, nbf=t + 8, exp=t + 68))
    report.add("SP-18/CA-06", "client assertion with iat and nbf 8 s in the future is accepted", "201",
               describe(response), response.status_code == 201)
    # fapi2-...-par-ensure-jwt-client-assertions-nbf-over-60-seconds-in-the-future-fails
    response = op.push(c1, form, assertion=op.assertion(c1, iat=t + 70, nbf=t + 70, exp=t + 130))
    report.error("SP-18/CA-06", "client assertion with iat and nbf 70 s in the future", response, statuses, errors)
    response = op.push(c1, form, assertion=op.assertion(c1, nbf=t + 70, exp=t + 130))
    report.error("SP-18/CA-06", "client assertion with only nbf 70 s in the future", response, statuses, errors)

    # fapi2-...-ensure-signed-client-assertion-with-RS256-fails
    rsa = Jwk.generate(alg="RS256", key_size=2048, kid=c1.key.kid)
    response = op.push(c1, form, assertion=op.assertion(c1, key=rsa, alg="RS256"))
    report.error("SP-37/CA-07", "client assertion signed RS256", response, statuses, errors)
    response = op.push(c1, form, assertion=op.assertion(c1, key=c2.key))
    report.error("CA-07", "client 1's assertion signed with client 2's key", response, statuses, errors)
    forged = op.assertion(c1)
    head, payload, signature = forged.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[3] ^= 0x01
    response = op.push(c1, form, assertion=f"{head}.{payload}.{b64u(bytes(raw))}")
    report.error("CA-07", "client assertion with a corrupted signature", response, statuses, errors)
    unsigned = b64u(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + forged.split(".")[1] + "."
    response = op.push(c1, form, assertion=unsigned)
    report.error("SP-37/CA-07", "client assertion with alg none", response, statuses, errors)

    # CA-05: the same assertion twice (the first is accepted).
    assertion = op.assertion(c1)
    first = op.push(c1, form, assertion=assertion)
    second = op.push(c1, form, assertion=assertion)
    report.add("CA-05", "replayed client assertion jti at PAR: first use accepted", "201", describe(first),
               first.status_code == 201)
    report.error("CA-05", "replayed client assertion jti at PAR: second use refused", second, {401},
                 {"invalid_client"})

    # PAR-02, CA-01: unknown client, wrong assertion type.
    unknown = Client("unknown", "client-unknown-" + secrets.token_hex(6), c1.key, c1.dpop_key)
    without_id = {k: v for k, v in form.items() if k != "client_id"}
    response = op.push(c1, without_id, assertion=op.assertion(unknown))
    report.error("PAR-02", "client assertion of an unregistered client_id", response, {401}, {"invalid_client"})
    response = op.push(c1, {**form, "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                            "client_assertion": op.assertion(c1)}, auth=False)
    report.error("CA-01", "client_assertion_type other than jwt-bearer", response, statuses, errors)

    # CA-08: client_id form parameter naming another client.
    response = op.push(c1, {**form, "client_id": c2.id})
    report.error("CA-08", "client_id form parameter ≠ assertion iss/sub", response, statuses, errors)

    # SP-11: client secrets.
    response = op.push(c1, {**form, "client_secret": "s3cr3t"}, auth=False)
    report.error("SP-11", "PAR with client_id + client_secret (client_secret_post)", response, {401},
                 {"invalid_client"})
    basic = "Basic " + base64.b64encode(f"{c1.id}:s3cr3t".encode()).decode()
    response = op.push(c1, form, auth=False, headers={"Authorization": basic})
    report.error("SP-11", "PAR with HTTP Basic (client_secret_basic)", response, {401}, {"invalid_client"})
    bogus = {"grant_type": "authorization_code", "code": "x" * 40, "redirect_uri": REDIRECT_URI,
             "code_verifier": "v" * 43}
    response = op.token(c1, {**bogus, "client_id": c1.id, "client_secret": "s3cr3t"}, auth=False)
    report.error("SP-11", "token request with client_secret_post", response, {401}, {"invalid_client"})
    response = op.token(c1, {**bogus, "client_id": c1.id}, auth=False, headers={"Authorization": basic})
    report.error("SP-11", "token request with HTTP Basic", response, {401}, {"invalid_client"})
    # fapi2-...-ensure-client-assertion-in-token-endpoint
    response = op.token(c1, {**bogus, "client_id": c1.id}, auth=False)
    report.error("SP-09", "token request without client authentication", response, {400, 401},
                 {"invalid_client", "invalid_request"})
    response = op.token(c1, {**bogus, "client_id": c2.id})
    report.error("CA-08/SP-45", "token request with client_id ≠ the assertion's iss/sub", response, statuses, errors)
    response = op.token(c1, bogus)
    report.error("SP-43", "token request with an unknown code", response, {400}, {"invalid_grant"})
    response = op.token(c1, bogus, assertion=op.assertion(c1, aud=[op.issuer]))
    report.error("SP-13/CA-03", "token request with client assertion aud = [issuer]", response, statuses, errors)
    response = op.token(c1, bogus, assertion=op.assertion(c1, aud=op.token_url))
    report.error("SP-13/CA-03", "token request with client assertion aud = token endpoint URL", response, statuses,
                 errors)


def check_login_flow(op, report, state, c1, user_a):
    """F1: the first flow of user A in browser A — login, TOTP, consent (CSRF check on the way)."""
    browser = op.new_session()
    state["browser_a"] = browser
    verifier, challenge = pkce_pair()
    nonce = secrets.token_urlsafe(48)  # 64 characters (SP-32)
    flow_state = "s." + secrets.token_urlsafe(16) + " ~!*'()&=+/?:@$,;%"
    form = op.par_form(c1, challenge, state=flow_state, nonce=nonce)
    pushed = op.push(c1, form, dpop_key=c1.dpop_key)
    if pushed.status_code != 201:
        raise Blocked(f"PAR failed: {describe(pushed)}")
    request_uri = pushed.json()["request_uri"]
    evil = {"Origin": "https://evil.example"}
    page = browser.get(op.authorize_url_for(c1.id, request_uri), headers=evil, allow_redirects=False, timeout=30)
    state["login_page"] = page

    # A wrong password and an unknown username get the same answer (no user enumeration): the
    # login page again with one message. (Both take the time of a password check: the unknown user
    # is checked against a decoy hash.)
    answers = []
    if is_login_page(page):
        for username, password in ((user_a["username"], "wrong-" + secrets.token_hex(4)),
                                   ("nobody-" + secrets.token_hex(4), "wrong-" + secrets.token_hex(4))):
            answers.append(browser.post(op.origin(form_action(page.text)),
                                        data={**hidden_fields(page.text), "username": username, "password": password,
                                              "action": "login"}, allow_redirects=False, timeout=30))
    report.add("AUTHN", "wrong password and unknown username: the same answer",
               "the same status and the login page with 'Wrong username or password.' for both",
               "; ".join(describe(a) for a in answers) or "no login page",
               len(answers) == 2 and answers[0].status_code == answers[1].status_code
               and all(is_login_page(a) and "Wrong username or password." in a.text for a in answers))

    def on_consent(consent_page):
        # A forged consent POST: the session cookie, but not the CSRF cookie.
        session_cookie = next((c.value for c in browser.cookies if c.name == "__Host-sr_session"), None)
        bare = op.new_session()
        headers = {"Cookie": f"__Host-sr_session={session_cookie}"} if session_cookie else {}
        forged = bare.post(op.origin(form_action(consent_page.text)),
                           data={**hidden_fields(consent_page.text), "decision": "approve"}, headers=headers,
                           allow_redirects=False, timeout=30)
        report.add("CSRF", "consent form POSTed without the CSRF cookie (session cookie sent)",
                   "400 HTML error page, no redirect, no code", describe(forged)
                   + ("" if session_cookie else " [no session cookie was found to send]"),
                   forged.status_code == 400 and "Location" not in forged.headers
                   and "text/html" in forged.headers.get("Content-Type", ""))

    redirect = op.login(browser, page, user_a, on_consent=on_consent)
    params, fragment = location_params(redirect)
    location = redirect.headers.get("Location", "")
    ok = (redirect.status_code == 303 and location.startswith(REDIRECT_URI + "?") and params.get("iss") == op.issuer
          and params.get("state") == flow_state and "code" in params and not fragment)
    report.add("SP-26/SP-46/ISS-01/SP-29", "completed flow: 303 to the redirect_uri, code in the query, iss = issuer, "
               "state echoed exactly (special characters)",
               f"303, iss={op.issuer}, state={flow_state!r}, code in query, no fragment", describe(redirect)
               + f" state matches={params.get('state') == flow_state}", ok)
    state["f1"] = {"code": params.get("code"), "verifier": verifier, "nonce": nonce, "form": form,
                   "request_uri": request_uri, "issued": time.time()}
    state["f1_redirect"] = redirect


def check_token_endpoint(op, report, state, c1, c2):
    """Redemption of F1's code: every refusal first (none consumes the code), then success."""
    f1 = state["f1"]
    if not f1.get("code"):
        raise Blocked("flow 1 produced no code")
    # fapi2-...-incorrect-pkce-code-verifier-rejected, -ensure-pkce-code-verifier-required
    response = op.token(c1, op.redeem_form(f1, code_verifier=pkce_pair()[0]))
    report.error("SP-24/PKCE-02", "token request with a wrong code_verifier", response, {400}, {"invalid_grant"})
    response = op.token(c1, op.redeem_form(f1, code_verifier=None))
    report.error("SP-24/PKCE-02", "token request without code_verifier", response, {400}, {"invalid_grant"})
    # fapi2-...-ensure-authorization-code-is-bound-to-client, -ensure-client-id-in-token-endpoint
    response = op.token(c2, op.redeem_form(f1))
    report.error("SP-43", "client 1's code redeemed by client 2 (own assertion + own DPoP key)", response, {400},
                 {"invalid_grant"})
    # fapi2-...-ensure-token-endpoint-fails-with-mismatched-dpop-proof-jkt (PAR proof key A, token key B)
    response = op.token(c1, op.redeem_form(f1), dpop_key=c2.dpop_key)
    report.error("DPOP-13", "token request whose DPoP key ≠ the key of the PAR's DPoP proof", response, {400},
                 {"invalid_grant", "invalid_dpop_proof", "invalid_request"})
    # fapi2-...-ensure-holder-of-key-required
    response = op.token(c1, op.redeem_form(f1), dpop_key=None)
    report.error("SP-10/DPOP-15", "token request without a DPoP proof (dpop_bound_access_tokens client)", response,
                 {400}, {"invalid_dpop_proof", "invalid_request", "invalid_grant"})
    response = op.token(c1, op.redeem_form(f1, redirect_uri=OTHER_REDIRECT_URI))
    report.error("SP-12", "token request with a redirect_uri other than the pushed one", response, {400},
                 {"invalid_grant"})
    # SP-08
    response = op.token(c1, {"grant_type": "password", "username": "u", "password": "p", "scope": "openid"})
    report.error("SP-08", "grant_type=password", response, {400}, {"unsupported_grant_type", "unauthorized_client"})

    # CA-05 across endpoints: an assertion accepted at PAR, replayed at the token endpoint.
    _, challenge = pkce_pair()
    used = op.assertion(c1)
    pushed = op.push(c1, op.par_form(c1, challenge), assertion=used)
    if pushed.status_code == 201:
        response = op.token(c1, op.redeem_form(f1), assertion=used)
        report.error("CA-05", "client assertion accepted at PAR replayed at the token endpoint (valid code)",
                     response, {400, 401}, {"invalid_client"})
    else:
        report.add("CA-05", "client assertion accepted at PAR replayed at the token endpoint", "PAR 201 first",
                   describe(pushed), False)

    # Success (SP-42, DPOP-11).
    response = op.token(c1, op.redeem_form(f1))
    body = json_body(response)
    cache = response.headers.get("Cache-Control", "")
    ok = (response.status_code == 200 and "no-store" in cache
          and "application/json" in response.headers.get("Content-Type", "")
          and body.get("token_type") == "DPoP" and isinstance(body.get("expires_in"), int)
          and body.get("expires_in", 0) > 0 and bool(body.get("access_token")) and bool(body.get("id_token"))
          and bool(body.get("refresh_token")))
    report.add("SP-42/DPOP-11", "successful code redemption: 200 JSON, Cache-Control no-store, token_type DPoP, "
               "expires_in, id_token, refresh_token",
               "200 application/json, no-store, token_type DPoP, expires_in > 0",
               f"{response.status_code} {response.headers.get('Content-Type')} Cache-Control={cache!r} "
               f"token_type={body.get('token_type')} expires_in={body.get('expires_in')} "
               f"keys={sorted(body)}" + ("" if response.status_code == 200 else " " + describe(response)), ok)
    if response.status_code != 200:
        raise Blocked(f"flow 1's code could not be redeemed: {describe(response)}")
    state["t1"] = body


def check_id_token(op, report, state, c1):
    """OIDC-01/02, SP-32 on F1's ID token."""
    body = state["t1"]
    id_token = SignedJwt(body["id_token"])
    headers = id_token.headers
    jwks = JwkSet(op.session.get(op.jwks_url, timeout=30).json())
    kid = headers.get("kid")
    key = None
    try:
        key = jwks.get_jwk_by_kid(kid) if kid else None
    except KeyError:
        key = None
    verified = bool(key) and id_token.verify_signature(key, alg=headers.get("alg"))
    report.add("OIDC-02", "ID token header has the kid of a published key, alg ES256 (the client's "
               "id_token_signed_response_alg), signature verifies",
               "kid ∈ JWKS, alg ES256, signature valid",
               f"alg={headers.get('alg')} kid={kid} in JWKS={key is not None} verified={verified}",
               headers.get("alg") == "ES256" and key is not None and verified)
    claims = id_token.claims
    t = time.time()
    problems = []
    if claims.get("iss") != op.issuer:
        problems.append(f"iss={claims.get('iss')}")
    if claims.get("aud") not in (c1.id, [c1.id]):
        problems.append(f"aud={claims.get('aud')}")
    if not isinstance(claims.get("sub"), str) or not claims.get("sub"):
        problems.append("no sub")
    if not (isinstance(claims.get("exp"), int) and claims["exp"] > t):
        problems.append(f"exp={claims.get('exp')}")
    if not (isinstance(claims.get("iat"), int) and claims["iat"] <= t + 5):
        problems.append(f"iat={claims.get('iat')}")
    report.add("OIDC-01", "ID token iss, aud, sub, exp, iat",
               "iss = issuer, aud = client_id, sub, exp > now, iat ≤ now",
               "ok" if not problems else ", ".join(problems), not problems)
    nonce = state["f1"]["nonce"]
    report.add("SP-32/OIDC-01", "a 64-character nonce is echoed exactly in the ID token",
               f"nonce = the 64 characters sent ({len(nonce)})", f"nonce={claims.get('nonce')!r}",
               claims.get("nonce") == nonce)
    state["sub"] = claims.get("sub")


def check_userinfo(op, report, state, c1, c2):
    """DPOP-14, SP-36, OIDC-07 with F1's access token."""
    at = state["t1"]["access_token"]
    key = c1.dpop_key

    def challenge_ok(response):
        challenge = response.headers.get("WWW-Authenticate", "")
        return challenge.startswith("DPoP ") and "error=" in challenge

    def refused(name, response, cid="DPOP-14"):
        report.add(cid, name, "401 + WWW-Authenticate: DPoP … error=\"…\"", describe(response),
                   response.status_code == 401 and challenge_ok(response))

    response = op.userinfo(at, key=key)
    body = json_body(response)
    matches = body.get("sub") == state.get("sub")
    report.add("OIDC-07", "userinfo with the DPoP token and a valid proof", "200, sub = ID token sub",
               describe(response) if response.status_code != 200 else f"200 sub matches={matches}",
               response.status_code == 200 and body.get("sub") == state.get("sub"))
    refused("DPoP-bound token sent as Bearer (with a valid proof)", op.userinfo(at, scheme="Bearer", key=key))
    refused("proof without ath", op.userinfo(at, proof=op.proof(key, "GET", op.userinfo_url)))
    refused("proof with a wrong ath", op.userinfo(at, proof=op.proof(key, "GET", op.userinfo_url,
                                                                     ath=ath_of(at + "x"))))
    refused("proof signed with another key than the token's", op.userinfo(at, key=c2.dpop_key))
    refused("no DPoP proof", op.userinfo(at, proof=None))
    refused("proof with htm POST for a GET", op.userinfo(at, proof=op.proof(key, "POST", op.userinfo_url,
                                                                            access_token=at)))
    refused("proof with htu of the token endpoint", op.userinfo(at, proof=op.proof(key, "GET", op.token_url,
                                                                                   access_token=at)))
    refused("proof with a corrupted signature", op.userinfo(at, proof=op.proof(key, "GET", op.userinfo_url,
                                                                               access_token=at, corrupt=True)))
    refused("proof with iat 1 h in the past", op.userinfo(at, proof=op.proof(key, "GET", op.userinfo_url,
                                                                             access_token=at, iat=now() - 3600)))
    refused("unknown access token", op.userinfo("x" * 43, key=key))
    # fapi2-...-access-token-type-header-case-sensitivity
    response = op.userinfo(at, scheme="dPoP", key=key)
    report.add("DPOP-14", "Authorization scheme in odd case (dPoP) is accepted", "200", describe(response),
               response.status_code == 200)
    response = op.userinfo(at, key=key, header_name="DPOP")
    report.add("DPOP-14", "DPoP header name in capitals (DPOP) is accepted", "200", describe(response),
               response.status_code == 200)
    # SP-36: the token in the query (no Authorization header), with and without a proof.
    refused("access token in the query string (no Authorization header)",
            op.userinfo(at, authorization=False, proof=None, params={"access_token": at}), cid="SP-36")
    refused("access token in the query string with a DPoP proof",
            op.userinfo(at, authorization=False, key=key, params={"access_token": at}), cid="SP-36")
    # fapi2-...-dpop-negative-tests "jti replay (SHOULD fail)": RFC 9449 §11.1 SHOULD, suite WARNING.
    proof = op.proof(key, "GET", op.userinfo_url, access_token=at)
    first = op.userinfo(at, proof=proof)
    second = op.userinfo(at, proof=proof)
    report.add("DPOP-08", "the same DPoP proof (same jti) presented twice at userinfo: the second is refused",
               "first 200; second 401 + WWW-Authenticate: DPoP error=…", f"first: {describe(first)[:60]}; second: "
               + describe(second), first.status_code == 200 and second.status_code == 401 and challenge_ok(second),
               level="should")
    # fapi2-...-happy-flow: another client's proof with this client's token.
    response = op.userinfo(at, key=c2.dpop_key)
    refused("client 2's DPoP key with client 1's access token", response, cid="SP-43/DPOP-14")


def check_refresh_and_dpop(op, report, state, c1, c2):
    """Refresh grant (SP-43, SP-44, DPOP-12) and DPoP proof validation at the token endpoint (DPOP-02…09)."""
    rt = state["t1"]["refresh_token"]
    refresh = {"grant_type": "refresh_token", "refresh_token": rt}
    key = c1.dpop_key

    response = op.token(c1, refresh)
    token_type = json_body(response).get("token_type")
    report.add("DPOP-12", "refresh with the client's assertion and the token's DPoP key", "200 token_type DPoP",
               describe(response) if response.status_code != 200 else f"200 token_type={token_type}",
               response.status_code == 200 and json_body(response).get("token_type") == "DPoP")
    # fapi2-...-refresh-token
    response = op.token(c2, refresh)
    report.error("SP-43", "client 1's refresh token used by client 2 (own assertion + own DPoP key)", response,
                 {400}, {"invalid_grant"})
    response = op.token(c1, refresh, dpop_key=None)
    report.error("DPOP-12/SP-44", "refresh without a DPoP proof", response, {400},
                 {"invalid_dpop_proof", "invalid_request", "invalid_grant"})
    response = op.token(c1, refresh, dpop_key=c2.dpop_key)
    report.error("DPOP-12", "refresh with a DPoP proof of another key than the token's", response, {400},
                 {"invalid_grant", "invalid_dpop_proof"})
    response = op.token(c1, {**refresh, "client_id": c1.id}, auth=False)
    report.error("SP-44", "refresh without client authentication", response, {400, 401},
                 {"invalid_client", "invalid_grant", "invalid_request"})

    # DPoP proof negatives at the token endpoint (fapi2-...-dpop-negative-tests, at the AS).
    t = now()
    bad = [
        ("DPOP-05", "htm PUT", op.proof(key, "PUT", op.token_url)),
        ("DPOP-06", "htu of another URL", op.proof(key, "POST", "https://other-as.example.com/token")),
        ("DPOP-06", "htu of the PAR endpoint", op.proof(key, "POST", op.par_url)),
        ("DPOP-07", "iat 1 h in the past", op.proof(key, "POST", op.token_url, iat=t - 3600)),
        ("DPOP-07", "iat 1 h in the future", op.proof(key, "POST", op.token_url, iat=t + 3600)),
        ("DPOP-07/SP-18", "iat 70 s in the future", op.proof(key, "POST", op.token_url, iat=t + 70)),
        ("DPOP-02", "typ missing", op.proof(key, "POST", op.token_url, typ=None)),
        ("DPOP-02", "typ JWT", op.proof(key, "POST", op.token_url, typ="JWT")),
        ("DPOP-02/SP-37", "alg none", op.proof(key, "POST", op.token_url, unsigned=True)),
        ("DPOP-02/SP-37", "alg RS256", op.proof(Jwk.generate(alg="RS256", key_size=2048), "POST", op.token_url)),
        ("DPOP-02", "private key in the header jwk", op.proof(key, "POST", op.token_url, header_jwk=key.to_dict())),
        ("DPOP-02", "no jwk in the header",
         str(Jwt.sign({"jti": secrets.token_urlsafe(16), "htm": "POST", "htu": op.token_url, "iat": t}, key=key,
                      alg="ES256", typ="dpop+jwt"))),
        ("DPOP-04", "signature does not verify", op.proof(key, "POST", op.token_url, corrupt=True)),
        ("DPOP-04", "header jwk is another key than the signing key",
         op.proof(key, "POST", op.token_url, header_jwk=c2.dpop_key.public_jwk().to_dict())),
        ("DPOP-03", "jti missing", op.proof(key, "POST", op.token_url, drop=("jti",))),
        ("DPOP-03", "htm missing", op.proof(key, "POST", op.token_url, drop=("htm",))),
        ("DPOP-03", "htu missing", op.proof(key, "POST", op.token_url, drop=("htu",))),
        ("DPOP-03", "iat missing", op.proof(key, "POST", op.token_url, drop=("iat",))),
        ("DPOP-01", "not a JWT", "not-a-jwt"),
    ]
    for cid, label, proof in bad:
        response = op.token(c1, refresh, proof=proof)
        report.error(cid, f"token request with a DPoP proof: {label}", response, {400}, {"invalid_dpop_proof"})
    response = op.token(c1, refresh,
                        proof=op.proof(key, "POST", op.token_url) + ", " + op.proof(key, "POST", op.token_url))
    report.error("DPOP-01", "token request with two DPoP proofs in one header", response, {400},
                 {"invalid_dpop_proof"})

    # Accepted variations (DPOP-06, DPOP-07, DPOP-09).
    parts = urllib.parse.urlsplit(op.token_url)
    good = [
        ("DPOP-07", "iat 10 s in the past", op.proof(key, "POST", op.token_url, iat=now() - 10)),
        ("DPOP-07/SP-18", "iat 8 s in the future", op.proof(key, "POST", op.token_url, iat=now() + 8)),
        ("DPOP-09", "nbf now and exp +5 min in the proof",
         op.proof(key, "POST", op.token_url, extra={"nbf": now(), "exp": now() + 300})),
        ("DPOP-09", "extra header-unrelated claims", op.proof(key, "POST", op.token_url, extra={"foo": "bar"})),
        ("DPOP-06", "htu with a query and a fragment", op.proof(key, "POST", op.token_url + "?a=b#frag")),
        ("DPOP-06", "htu with upper-case scheme and host",
         op.proof(key, "POST", f"{parts.scheme.upper()}://{parts.netloc.upper()}{parts.path}")),
    ]
    for cid, label, proof in good:
        response = op.token(c1, refresh, proof=proof)
        report.add(cid, f"token request with a DPoP proof: {label} (accepted)", "200", describe(response),
                   response.status_code == 200)

    # Replays at the token endpoint (CA-05, DPOP-08): a request that succeeded, then its assertion or proof again.
    assertion = op.assertion(c1)
    proof = op.proof(key, "POST", op.token_url)
    first = op.token(c1, refresh, assertion=assertion, proof=proof)
    if first.status_code != 200:
        report.add("DPOP-08/CA-05", "replay checks at the token endpoint", "a first refresh succeeds",
                   describe(first), False)
        return
    response = op.token(c1, refresh, proof=proof)  # fresh assertion, same proof
    report.error("DPOP-08", "replayed DPoP proof jti at the token endpoint", response, {400}, {"invalid_dpop_proof"})
    response = op.token(c1, refresh, assertion=assertion)  # same assertion, fresh proof
    report.error("CA-05", "replayed client assertion jti at the token endpoint", response, {401}, {"invalid_client"})


def check_more_flows(op, report, state, c1, c2):
    """F2 without state and nonce (SP-46, OIDC-05); F3 bound by dpop_jkt (DPOP-13); long state (SP-34)."""
    browser = state["browser_a"]
    # fapi2-...-ensure-authorization-request-without-state-success / -without-nonce-success
    f2 = op.code_via_session(browser, c1, state=None, nonce=None)
    state["f2_redirect"] = f2["redirect"]
    params, fragment = location_params(f2["redirect"])
    report.add("SP-46/OIDC-05", "flow without state: the redirect has no state, has iss, code in the query",
               "303 with code and iss, no state, no fragment", describe(f2["redirect"]),
               "state" not in params and params.get("iss") == op.issuer and "code" in params and not fragment)
    response = op.token(c1, op.redeem_form(f2))
    id_token = json_body(response).get("id_token")
    claims = SignedJwt(id_token).claims if id_token else {}
    report.add("OIDC-05", "flow without nonce: the ID token has no nonce", "200, id_token without nonce",
               describe(response) if response.status_code != 200 else f"200 nonce in id_token={'nonce' in claims}",
               response.status_code == 200 and bool(id_token) and "nonce" not in claims)

    # fapi2-...-ensure-token-endpoint-fails-with-mismatched-dpop-jkt / -ensure-dpop-auth-code-binding-success
    long_state = "L" + secrets.token_urlsafe(1200)
    f3 = op.code_via_session(browser, c1, dpop_key=None, dpop_jkt=c1.dpop_key.thumbprint(), state=long_state)
    params, _ = location_params(f3["redirect"])
    report.add("SP-34", f"a {len(long_state)}-character state is returned unmodified", "state echoed exactly",
               f"state returned intact={params.get('state') == long_state} (length {len(params.get('state') or '')})",
               params.get("state") == long_state)
    response = op.token(c1, op.redeem_form(f3), dpop_key=c2.dpop_key)
    report.error("DPOP-13", "token request whose DPoP key ≠ the PAR's dpop_jkt", response, {400},
                 {"invalid_grant", "invalid_dpop_proof", "invalid_request"})
    response = op.token(c1, op.redeem_form(f3))
    report.add("DPOP-13/SP-17", "token request with the key named by dpop_jkt succeeds", "200 token_type DPoP",
               describe(response) if response.status_code != 200 else "200",
               response.status_code == 200 and json_body(response).get("token_type") == "DPoP")


def check_code_reuse(op, report, state, c1):
    """SP-28: F1's code a second time; the first access token is then refused."""
    response = op.token(c1, op.redeem_form(state["f1"]))
    report.error("SP-28", "authorization code used a second time", response, {400}, {"invalid_grant"})
    at = state["t1"]["access_token"]
    response = op.userinfo(at, key=c1.dpop_key)
    challenge = response.headers.get("WWW-Authenticate", "")
    report.add("SP-28", "the access token of a reused code is refused at userinfo afterwards",
               "401 + WWW-Authenticate: DPoP error=\"invalid_token\"", describe(response),
               response.status_code == 401 and challenge.startswith("DPoP ") and "invalid_token" in challenge)
    response = op.token(c1, {"grant_type": "refresh_token", "refresh_token": state["t1"]["refresh_token"]})
    report.error("SP-28", "the refresh token of a reused code is refused afterwards", response, {400},
                 {"invalid_grant"})


def check_authorization_endpoint(op, report, state, c1, c2, user_a, user_b):
    """Browser-facing checks: SP-22, PAR-06, PAR-07, PAR-08, SP-33, SP-47, wrong password, SP-05."""
    evil = {"Origin": "https://evil.example"}

    def error_page(cid, name, response):
        return report.add(cid, name, "400 text/html error page, no Location (no redirect)", describe(response),
                          response.status_code == 400 and "Location" not in response.headers
                          and "text/html" in response.headers.get("Content-Type", ""))

    # fapi2-...-ensure-unsigned-authorization-request-without-using-par-fails
    _, challenge = pkce_pair()
    query = urllib.parse.urlencode(op.par_form(c1, challenge))
    browser = op.new_session()
    response = browser.get(f"{op.authorize_url}?{query}", headers=evil, allow_redirects=False, timeout=30)
    state["error_page"] = response
    error_page("SP-22", "authorization request with the parameters in the query, no request_uri", response)

    # fapi2-...-par-attempt-to-use-request_uri-for-different-client
    pushed = op.push(c1, op.par_form(c1, challenge))
    if pushed.status_code != 201:
        raise Blocked(f"PAR failed: {describe(pushed)}")
    response = browser.get(op.authorize_url_for(c2.id, pushed.json()["request_uri"]), allow_redirects=False,
                           timeout=30)
    error_page("PAR-06", "client 1's request_uri with client 2's client_id", response)
    response = browser.get(op.authorize_url_for(c1.id, REQUEST_URI_PREFIX + secrets.token_urlsafe(32)),
                           allow_redirects=False, timeout=30)
    error_page("PAR-07", "unknown request_uri", response)
    response = browser.get(f"{op.authorize_url}?request_uri={urllib.parse.quote(pushed.json()['request_uri'])}",
                           allow_redirects=False, timeout=30)
    error_page("PAR-09/PAR-06", "request_uri without client_id", response)

    # fapi2-...-user-rejects-authentication (Cancel on the login page)
    cancel_state = "cancel-" + secrets.token_urlsafe(8)
    pushed = op.push(c1, op.par_form(c1, challenge, state=cancel_state))
    fresh = op.new_session()
    page = fresh.get(op.authorize_url_for(c1.id, pushed.json()["request_uri"]), allow_redirects=False, timeout=30)
    if not is_login_page(page):
        raise Blocked(f"expected the login page, got {describe(page)}")
    response = fresh.post(op.origin(form_action(page.text)), data={**hidden_fields(page.text), "action": "cancel"},
                          allow_redirects=False, timeout=30)
    params, _ = location_params(response)
    report.add("SP-47/SP-26", "user presses Cancel on the login page",
               f"303 to the redirect_uri with error=access_denied, iss={op.issuer}, state={cancel_state}, no code",
               describe(response),
               response.status_code == 303 and response.headers.get("Location", "").startswith(REDIRECT_URI)
               and params.get("error") == "access_denied" and params.get("iss") == op.issuer
               and params.get("state") == cancel_state and "code" not in params)

    # CSRF on the login form: posted from a browser without the CSRF cookie.
    pushed = op.push(c1, op.par_form(c1, challenge))
    fresh = op.new_session()
    page = fresh.get(op.authorize_url_for(c1.id, pushed.json()["request_uri"]), allow_redirects=False, timeout=30)
    response = op.new_session().post(op.origin(form_action(page.text)),
                                     data={**hidden_fields(page.text), "username": user_a["username"],
                                           "password": user_a["password"], "action": "login"},
                                     allow_redirects=False, timeout=30)
    report.add("CSRF", "login form POSTed without the CSRF cookie (correct password)",
               "400 HTML error page, no redirect, no OTP page", describe(response),
               response.status_code == 400 and "Location" not in response.headers and not is_otp_page(response))

    # fapi2-...-ensure-different-state-inside-and-outside-request-object, SP-12: parameters added to the
    # authorization URL besides client_id + request_uri are not used (the pushed ones are).
    inside = "in-" + secrets.token_urlsafe(8)
    pushed = op.push(c1, op.par_form(c1, challenge, state=inside), dpop_key=c1.dpop_key)
    url = (op.authorize_url_for(c1.id, pushed.json()["request_uri"]) + "&state=outside&redirect_uri="
           + urllib.parse.quote(OTHER_REDIRECT_URI, safe="") + "&response_type=token")
    response = state["browser_a"].get(url, allow_redirects=False, timeout=30)
    if response.status_code == 200 and is_consent_page(response):
        response = op.approve(state["browser_a"], response)
    params, _ = location_params(response)
    report.add("SP-12/PAR-09", "state, redirect_uri, response_type added to the authorization URL are ignored",
               f"303 to the pushed redirect_uri with the pushed state {inside!r} (or a 400 error page); "
               "never the added redirect_uri",
               describe(response),
               (response.status_code == 303 and response.headers.get("Location", "").startswith(REDIRECT_URI + "?")
                and params.get("state") == inside and params.get("iss") == op.issuer)
               or (response.status_code == 400 and "Location" not in response.headers))

    # Wrong password: the login page again, no redirect, no code.
    pushed = op.push(c1, op.par_form(c1, challenge))
    fresh = op.new_session()
    page = fresh.get(op.authorize_url_for(c1.id, pushed.json()["request_uri"]), allow_redirects=False, timeout=30)
    response = fresh.post(op.origin(form_action(page.text)),
                          data={**hidden_fields(page.text), "username": user_a["username"],
                                "password": user_a["password"] + "-wrong", "action": "login"},
                          allow_redirects=False, timeout=30)
    report.add("AUTHN", "wrong password: the login page again, no redirect, no code",
               "200|401 login page, no Location", describe(response),
               response.status_code in (200, 401) and is_login_page(response) and "Location" not in response.headers)
    response = fresh.post(op.origin(form_action(page.text)),
                          data={**hidden_fields(page.text), "username": "nobody-" + secrets.token_hex(3),
                                "password": "whatever", "action": "login"},
                          allow_redirects=False, timeout=30)
    report.add("AUTHN", "unknown user: the login page again, no redirect, no code",
               "200|401 login page, no Location", describe(response),
               response.status_code in (200, 401) and is_login_page(response) and "Location" not in response.headers)

    # Brute force: five wrong passwords lock the account; then even the right password is refused.
    victim = op.register_user()
    for _ in range(5):
        fresh.post(op.origin(form_action(page.text)),
                   data={**hidden_fields(page.text), "username": victim["username"],
                         "password": "guess-" + secrets.token_hex(4), "action": "login"},
                   allow_redirects=False, timeout=30)
    response = fresh.post(op.origin(form_action(page.text)),
                          data={**hidden_fields(page.text), "username": victim["username"],
                                "password": victim["password"], "action": "login"},
                          allow_redirects=False, timeout=30)
    report.add("AUTHN", "five wrong passwords lock the account: the right one is refused for now",
               "login page with 'Too many failed attempts', no OTP step, no Location", describe(response),
               is_login_page(response) and "Too many failed attempts" in response.text
               and 'name="otp"' not in response.text and "Location" not in response.headers)

    # SP-47: the user denies on the consent page (browser A is logged in; prompt=consent asks again).
    deny_state = "deny-" + secrets.token_urlsafe(8)
    pushed = op.push(c1, op.par_form(c1, challenge, state=deny_state, prompt="consent"))
    page = state["browser_a"].get(op.authorize_url_for(c1.id, pushed.json()["request_uri"]), allow_redirects=False,
                                  timeout=30)
    if is_consent_page(page):
        response = state["browser_a"].post(op.origin(form_action(page.text)),
                                           data={**hidden_fields(page.text), "decision": "deny"},
                                           allow_redirects=False, timeout=30)
    else:
        response = page
    params, _ = location_params(response)
    report.add("SP-47/SP-26", "user presses Deny on the consent page (prompt=consent)",
               f"303 to the redirect_uri with error=access_denied, iss, state={deny_state}, no code",
               describe(response),
               response.status_code == 303 and response.headers.get("Location", "").startswith(REDIRECT_URI)
               and params.get("error") == "access_denied" and params.get("iss") == op.issuer
               and params.get("state") == deny_state and "code" not in params)
    # OIDC-09: prompt=none without a session.
    none_state = "none-" + secrets.token_urlsafe(8)
    pushed = op.push(c1, op.par_form(c1, challenge, state=none_state, prompt="none"))
    response = op.new_session().get(op.authorize_url_for(c1.id, pushed.json()["request_uri"]), allow_redirects=False,
                                    timeout=30)
    params, _ = location_params(response)
    report.add("OIDC-09/ISS-01", "prompt=none without a login session",
               f"303 to the redirect_uri with error=login_required, iss, state={none_state}", describe(response),
               response.status_code == 303 and params.get("error") == "login_required"
               and params.get("iss") == op.issuer and params.get("state") == none_state and "code" not in params)

    # fapi2-...-par-ensure-reused-request-uri-prior-to-auth-completion-succeeds (user B, browser B)
    b_state = "b-" + secrets.token_urlsafe(8)
    _, challenge_b = pkce_pair()
    pushed = op.push(c1, op.par_form(c1, challenge_b, state=b_state), dpop_key=c1.dpop_key)
    request_uri = pushed.json()["request_uri"]
    browser_b = op.new_session()
    first = browser_b.get(op.authorize_url_for(c1.id, request_uri), allow_redirects=False, timeout=30)
    second = browser_b.get(op.authorize_url_for(c1.id, request_uri), allow_redirects=False, timeout=30)
    report.add("SP-33", "the same request_uri loaded twice before completion still shows the login page",
               "200 login page both times", f"first: {describe(first)}; second: {describe(second)}",
               first.status_code == 200 and is_login_page(first) and second.status_code == 200
               and is_login_page(second))
    redirect = op.login(browser_b, second, user_b)
    params, _ = location_params(redirect)
    report.add("SP-33", "logging in on the second load completes the flow", "303 with code, iss, state",
               describe(redirect),
               redirect.status_code == 303 and "code" in params and params.get("iss") == op.issuer
               and params.get("state") == b_state)
    # fapi2-...-par-attempt-reuse-request_uri
    response = browser_b.get(op.authorize_url_for(c1.id, request_uri), allow_redirects=False, timeout=30)
    params, _ = location_params(response)
    report.add("PAR-08", "request_uri reused after a completed flow",
               f"303 to the redirect_uri with error=invalid_request_uri, iss={op.issuer}, state={b_state}, no code",
               describe(response),
               response.status_code == 303 and response.headers.get("Location", "").startswith(REDIRECT_URI)
               and params.get("error") == "invalid_request_uri" and params.get("iss") == op.issuer
               and params.get("state") == b_state and "code" not in params)
    # The same request_uri in a fresh browser (no session) after completion.
    response = op.new_session().get(op.authorize_url_for(c1.id, request_uri), allow_redirects=False, timeout=30)
    params, _ = location_params(response)
    report.add("PAR-08", "request_uri reused after a completed flow, from another browser",
               "303 error=invalid_request_uri (+iss), or a 400 error page; never the login page",
               describe(response),
               (response.status_code == 303 and params.get("error") == "invalid_request_uri"
                and params.get("iss") == op.issuer)
               or (response.status_code == 400 and "Location" not in response.headers))

    # SP-05: browser-facing responses are not cacheable, not frameable, never CORS-enabled.
    samples = [("login page", state.get("login_page")), ("error page", state.get("error_page")),
               ("success redirect", state.get("f1_redirect")),
               ("redirect of a flow without state", state.get("f2_redirect"))]
    preflight = browser.options(op.authorize_url, headers={**evil, "Access-Control-Request-Method": "GET"},
                                allow_redirects=False, timeout=30)
    for label, response in samples:
        if response is None:
            report.add("SP-05", f"{label}: security headers", "a response to inspect", "none was recorded", False)
            continue
        cache = response.headers.get("Cache-Control", "")
        frame = response.headers.get("X-Frame-Options", "")
        cors = [h for h in response.headers if h.lower().startswith("access-control-")]
        report.add("SP-05", f"authorization endpoint {label}: Cache-Control no-store, "
                   "X-Frame-Options DENY, no Access-Control-* headers",
                   "no-store, DENY, no Access-Control-*",
                   f"{response.status_code} Cache-Control={cache!r} X-Frame-Options={frame!r} CORS headers={cors}",
                   "no-store" in cache and frame.upper() == "DENY" and not cors)
    cors = [h for h in preflight.headers if h.lower().startswith("access-control-")]
    report.add("SP-05", "CORS preflight (OPTIONS with Origin) at the authorization endpoint",
               "no Access-Control-* headers", f"{preflight.status_code} CORS headers={cors}", not cors)


def check_expired(op, report, state, c1, c2):
    """PAR-07 (expired request_uri) and SP-16 (expired code), after waiting out the 60 s lifetimes."""
    started = state["expiry_started"]
    # Both were recorded after the server answered, so each is at least this old when checked.
    latest = max(started, state["expiry_code"]["issued"] if state.get("expiry_code") else started)
    wait = latest + LIFETIME_WAIT_SECONDS - time.time()
    if wait > 0:
        time.sleep(wait)
    waited = int(time.time() - started)
    # fapi2-...-par-attempt-to-use-expired-request_uri
    probe = state.get("expiry_probe")
    if probe:
        response = op.new_session().get(op.authorize_url_for(c1.id, probe["request_uri"]), allow_redirects=False,
                                        timeout=30)
        params, _ = location_params(response)
        report.add("PAR-07", f"request_uri used {waited} s after the push (expires_in {probe['expires_in']})",
                   "303 error=invalid_request_uri with iss and state, or a 400 error page; never the login page",
                   describe(response),
                   (response.status_code == 303 and params.get("error") == "invalid_request_uri"
                    and params.get("iss") == op.issuer and params.get("state") == probe["state"]
                    and "code" not in params)
                   or (response.status_code == 400 and "Location" not in response.headers))
    # fapi2-...-ensure-token-endpoint-fails-with-expired-auth-code
    stale = state.get("expiry_code")
    if stale:
        response = op.token(c2, op.redeem_form(stale))
        report.error("SP-16", f"authorization code first redeemed {int(time.time() - stale['issued'])} s after issue",
                     response, {400}, {"invalid_grant"})


def start_expiry_probes(op, report, state, c1, c2):
    """A request_uri and a code (client 2's own grant, so no revocation interferes) left to expire."""
    _, challenge = pkce_pair()
    probe_state = "exp-" + secrets.token_urlsafe(8)
    pushed = op.push(c1, op.par_form(c1, challenge, state=probe_state))
    state["expiry_started"] = time.time()
    if pushed.status_code == 201:
        state["expiry_probe"] = {"request_uri": pushed.json()["request_uri"], "state": probe_state,
                                 "expires_in": pushed.json().get("expires_in")}
    else:
        report.add("PAR-07", "expired request_uri", "a PAR to let expire", describe(pushed), False)
    flow = op.code_via_session(state["browser_a"], c2)
    flow["issued"] = time.time()
    state["expiry_code"] = flow


# MARK: main

def run(args):
    report = Report()
    try:
        op = OP(args)
        c1 = op.register_client("c1")
        c2 = op.register_client("c2")
        user_a = op.register_user()
        user_b = op.register_user()
    except SetupError as error:
        die(str(error))
    except Exception as error:  # noqa: BLE001
        die(f"setup failed: {error!r}")
    state = {}

    def group(name, fn, *fn_args):
        try:
            fn(op, report, *fn_args)
            return True
        except Exception as error:  # noqa: BLE001
            if not isinstance(error, Blocked):
                print(traceback.format_exc(), file=sys.stderr)
            report.blocked(name, error)
            return False

    logged_in = group("login flow (user A, client 1)", check_login_flow, state, c1, user_a)
    redeemed = logged_in and group("token endpoint (flow 1's code)", check_token_endpoint, state, c1, c2)
    if logged_in:
        group("expiry probes", start_expiry_probes, state, c1, c2)
    if redeemed:
        group("ID token", check_id_token, state, c1)
    group("PAR endpoint", check_par, c1, c2)
    group("client assertions", check_client_assertions, c1, c2)
    if redeemed:
        group("userinfo", check_userinfo, state, c1, c2)
        group("refresh and DPoP proofs", check_refresh_and_dpop, state, c1, c2)
    if logged_in:
        group("flows without state/nonce and with dpop_jkt", check_more_flows, state, c1, c2)
    if redeemed:
        group("code reuse", check_code_reuse, state, c1)
    group("authorization endpoint", check_authorization_endpoint, state, c1, c2, user_a, user_b)
    if "expiry_started" in state:
        group("expired request_uri and code", check_expired, state, c1, c2)
    else:
        report.add("PAR-07/SP-16", "expired request_uri and code", "probes started", "not started (see SETUP)", False)

    # ok: every MUST check passed (failed SHOULD checks are warnings, like the suite's WARNING results).
    ok = all(check["pass"] for check in report.checks if check["level"] == "must")
    warnings = sum(1 for check in report.checks if check["level"] != "must" and not check["pass"])
    print(json.dumps({"ok": ok, "warnings": warnings, "checks": report.checks, "client_ids": [c1.id, c2.id]},
                     ensure_ascii=False))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("flow")
    for name in ["--issuer", "--ca", "--strongroom", "--data-dir"]:
        run_parser.add_argument(name, required=True)
    args = parser.parse_args()
    run(args)


if __name__ == "__main__":
    main()
