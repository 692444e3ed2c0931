#!/usr/bin/env python3
"""Clients that publish their keys at a jwks_uri (RFC 7591 §2), against `strongroom serve --jwks-ca`.

Usage:
  jwks_uri.py pki --out DIR
      writes a CA (jwks-ca.pem) and a server certificate for 127.0.0.1 signed by it.
  jwks_uri.py flow --issuer URL --ca PEM --strongroom BIN --data-dir DIR --pki DIR
      serves a JWK Set over HTTPS on 127.0.0.1, registers a private_key_jwt client with that jwks_uri,
      and checks: the OP fetches the set and accepts assertions signed with its key; it caches the set;
      after the client rotates its key the OP fetches again (at most every 10 s) and accepts the new
      key; an unreachable jwks_uri is invalid_client. Prints one JSON line of facts.
"""
import argparse
import datetime
import http.server
import ipaddress
import json
import os
import secrets
import ssl
import sys
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jwskate import Jwk

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fapi2_negative import OP, describe, pkce_pair  # noqa: E402


def fail(message):
    print(json.dumps({"ok": False, "error": message}))
    sys.exit(1)


def make_pki(out):
    from fapi2_interop import make_ca
    now = datetime.datetime.now(datetime.timezone.utc)
    ca, ca_key, ca_name = make_ca("Strongroom Test jwks_uri CA")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    with open(f"{out}/jwks-ca.pem", "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(f"{out}/jwks-server.pem", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(f"{out}/jwks-server.key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    print(json.dumps({"ok": True}))


class JWKSServer:
    """An HTTPS server on 127.0.0.1 serving one mutable JWK Set at /jwks.json, counting fetches."""

    def __init__(self, pki):
        self.document = {"keys": []}
        self.fetches = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.path != "/jwks.json":
                    self.send_error(404)
                    return
                outer.fetches += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/jwk-set+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(f"{pki}/jwks-server.pem", f"{pki}/jwks-server.key")
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def register(op, jwks_uri, label):
    metadata = {
        "client_name": f"jwks_uri TPP {label}", "redirect_uris": ["https://client.example.org/callback"],
        "grant_types": ["authorization_code"], "scope": "accounts", "token_endpoint_auth_method": "private_key_jwt",
        "dpop_bound_access_tokens": True, "jwks_uri": jwks_uri,
    }
    from fapi2_negative import cli
    registered = json.loads(cli(op.args.strongroom, op.args.data_dir, ["clients", "add", "--file", "-"],
                                stdin=json.dumps(metadata)))
    return registered["client_id"]


class Signer:
    def __init__(self, client_id, key):
        self.id = client_id
        self.key = key


def push(op, client_id, key):
    _, challenge = pkce_pair()
    client = Signer(client_id, key)
    form = op.par_form(client, challenge)
    return op.push(client, form, dpop_key=Jwk.generate(alg="ES256"))


def flow(args):
    op = OP(args)
    server = JWKSServer(args.pki)
    key1 = Jwk.generate(alg="ES256", kid="k1-" + secrets.token_hex(4))
    server.document = {"keys": [key1.public_jwk().to_dict()]}
    client_id = register(op, server.url, "rotating")
    facts = {"client_id": client_id}

    first = push(op, client_id, key1)
    if first.status_code != 201:
        fail(f"PAR with a key from the jwks_uri: {describe(first)}")
    second = push(op, client_id, key1)
    if second.status_code != 201 or server.fetches != 1:
        fail(f"the fetched key set should be cached (fetches={server.fetches}): {describe(second)}")
    facts["fetched_once"] = True

    # The client rotates: only the new key is published.
    key2 = Jwk.generate(alg="ES256", kid="k2-" + secrets.token_hex(4))
    server.document = {"keys": [key2.public_jwk().to_dict()]}
    early = push(op, client_id, key2)
    if early.status_code != 401 or early.json().get("error") != "invalid_client":
        fail(f"a fetch within 10 s of the last one must not happen (invalid_client expected): {describe(early)}")
    time.sleep(10.5)
    rotated = push(op, client_id, key2)
    if rotated.status_code != 201 or server.fetches != 2:
        fail(f"after the rotation the OP should fetch again and accept the new key (fetches={server.fetches}): "
             f"{describe(rotated)}")
    old = push(op, client_id, key1)
    if old.status_code != 401 or old.json().get("error") != "invalid_client":
        fail(f"the retired key must be refused: {describe(old)}")
    facts["rotation"] = "refetched once after 10 s; new key accepted, old refused"

    unreachable = register(op, "https://127.0.0.1:1/jwks.json", "unreachable")
    refused = push(op, unreachable, key1)
    if refused.status_code != 401 or refused.json().get("error") != "invalid_client":
        fail(f"an unreachable jwks_uri should be invalid_client: {describe(refused)}")
    facts["unreachable"] = "invalid_client"
    facts["fetches"] = server.fetches
    facts["ok"] = True
    print(json.dumps(facts))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    pki = sub.add_parser("pki")
    pki.add_argument("--out", required=True)
    run = sub.add_parser("flow")
    for name in ["--issuer", "--ca", "--strongroom", "--data-dir", "--pki"]:
        run.add_argument(name, required=True)
    args = parser.parse_args()
    make_pki(args.out) if args.command == "pki" else flow(args)


if __name__ == "__main__":
    main()
