"""The reference server against an independent RFC 9421 / RFC 9530 implementation: PyPI
`http-message-signatures` signs requests to the real server (a child process on loopback)
and verifies its responses. The cases are an independent client's findings (issue #18):
any label, several signatures, a digest of an empty body, `expires`, signed refusals."""

import base64
import datetime
import hashlib
import http.client
import json
import os
import secrets
import subprocess
import tempfile
import urllib.parse

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms


class Keys(HTTPSignatureKeyResolver):
    def __init__(self):
        self.private = {}
        self.public = {}

    def resolve_private_key(self, key_id):
        return self.private[key_id]

    def resolve_public_key(self, key_id):
        return self.public.get(key_id)


class Request:
    """The message interface the library reads: method, absolute url, headers."""

    def __init__(self, method, url, body=b""):
        self.method, self.url, self.body, self.headers = method, url, body, {}


class Response:
    def __init__(self, status, headers, body, request):
        self.status_code, self.headers, self.body, self.request = status, headers, body, request


def sec1(public_key):
    n = public_key.public_numbers()
    return b"\x04" + n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def server():
    data = tempfile.mkdtemp()
    proc = subprocess.Popen(
        [os.environ["IDWALLET_SERVER"], "--data", data, "--listen", "127.0.0.1:0", "--citizens", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    said = dict(proc.stdout.readline().strip().split(": ", 1) for _ in range(3))
    codes = dict(line.split() for line in open(os.path.join(data, "activation-codes.txt")) if not line.startswith("#"))
    server_key = base64.urlsafe_b64decode(said["server-key"] + "==")
    yield said["listening"], server_key, codes
    proc.terminate()
    proc.wait()


class Phone:
    """A device whose every request and check is the independent library's."""

    def __init__(self, base, server_key):
        self.base = base
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.device_id = "dev-" + b64url(hashlib.sha256(sec1(self.key.public_key())).digest()[:16])
        self.keys = Keys()
        self.keys.private[self.device_id] = self.key
        self.keys.public["server"] = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), server_key)
        self.signer = HTTPMessageSigner(signature_algorithm=algorithms.ECDSA_P256_SHA256, key_resolver=self.keys)
        self.verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ECDSA_P256_SHA256, key_resolver=self.keys)

    def request(self, method, path, body=b"", label="sig1", expires=None, covered=None, **extra):
        req = Request(method, self.base + path, body)
        if body:
            req.headers["content-type"] = "application/json"
        covered = covered or (("@method", "@target-uri", "content-type") if body else ("@method", "@target-uri"))
        self.signer.sign(req, key_id=self.device_id, nonce=secrets.token_urlsafe(16), label=label, tag="idwallet",
                         covered_component_ids=covered, body=body if body else None, expires=expires, **extra)
        return req

    def send(self, req):
        url = urllib.parse.urlsplit(req.url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        conn.request(req.method, url.path, body=req.body or None, headers=req.headers)
        raw = conn.getresponse()
        headers = {}
        for name, value in raw.getheaders():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        response = Response(raw.status, headers, raw.read(), req)
        conn.close()
        return response

    def verified(self, response):
        """The server's signature over the response, checked by the library: bound to the
        request's signature and its parameters, and to the body's digest."""
        self.verifier.verify(response, expect_tag="idwallet", body=response.body,
                             require_components=("@status", "content-digest", '"signature";req', '"signature-input";req'))
        return response.status_code, json.loads(response.body) if response.body else None


def register(server):
    base, server_key, codes = server
    phone = Phone(base, server_key)
    code = codes.pop(next(iter(codes)))
    body = json.dumps({"public_key": b64url(sec1(phone.key.public_key())), "activation_code": code}).encode()
    status, answer = phone.verified(phone.send(phone.request("POST", "/v1/devices", body)))
    assert (status, answer["device_id"]) == (200, phone.device_id)
    return phone


def test_the_library_registers_signs_with_its_own_label_and_verifies_every_answer(server):
    phone = register(server)
    status, trust = phone.verified(phone.send(phone.request("GET", "/v1/trust-list")))
    assert status == 200 and trust["max_age_secs"] > 0
    # Another signature first (a gateway's, tagged for itself): the server picks ours by tag.
    req = Request("GET", phone.base + "/v1/status-lists")
    phone.signer.sign(req, key_id=phone.device_id, label="gw", tag="gateway", covered_component_ids=("@method",))
    phone.signer.sign(req, key_id=phone.device_id, nonce=secrets.token_urlsafe(16), label="sig1", tag="idwallet",
                      covered_component_ids=("@method", "@target-uri"), append_if_signature_exists=True)
    assert phone.verified(phone.send(req))[0] == 200


def test_what_an_independent_client_found_is_refused_and_the_refusals_are_signed(server):
    phone = register(server)
    # An empty body whose covered Content-Digest is of other content.
    req = Request("GET", phone.base + "/v1/trust-list")
    other = b'{"amount":1000000}'
    req.headers["content-digest"] = "sha-256=:" + base64.b64encode(hashlib.sha256(other).digest()).decode() + ":"
    phone.signer.sign(req, key_id=phone.device_id, nonce=secrets.token_urlsafe(16), label="sig1", tag="idwallet",
                      covered_component_ids=("@method", "@target-uri", "content-digest"), use_existing_digest=True)
    status, error = phone.verified(phone.send(req))
    assert (status, error["code"]) == (401, "bad_signature")
    # An honest digest of the empty body (the library computes it) passes.
    req = Request("GET", phone.base + "/v1/trust-list")
    phone.signer.sign(req, key_id=phone.device_id, nonce=secrets.token_urlsafe(16), label="sig1", tag="idwallet",
                      covered_component_ids=("@method", "@target-uri"), body=b"")
    assert any(name.lower() == "content-digest" for name in req.headers)
    assert phone.verified(phone.send(req))[0] == 200
    # `expires` in the past.
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=30)
    req = phone.request("GET", "/v1/trust-list", expires=past, created=past - datetime.timedelta(seconds=10))
    status, error = phone.verified(phone.send(req))
    assert (status, error["code"]) == (401, "signature_expired")
    # The router's refusals are signed and bound like any answer: wrong method, no route.
    status, error = phone.verified(phone.send(phone.request("POST", "/v1/trust-list", b"{}")))
    assert (status, error["code"]) == (405, "method_not_allowed")
    status, error = phone.verified(phone.send(phone.request("GET", "/v1/nowhere")))
    assert (status, error["code"]) == (404, "not_found")
