"""The Microsoft side of the Bot Framework on loopback: OpenID metadata and JWKS for the keys
that sign tokens, a client-credentials token endpoint, and a connector that records replies."""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from loopback import JsonHandler, LoopbackServer

ISSUER = "https://api.botframework.com"
APP_ID = "8c6d3e51-1f5a-4b1e-9d1e-3b7a2c0f4e21"
PASSWORD = "test-client-secret"
CONNECTOR_TOKEN = "connector-access-token"


class SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self, endorsements: list[str]) -> dict[str, Any]:
        return {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key())), "kid": self.kid,
                "use": "sig", "endorsements": endorsements}

    def token(self, service_url: str, audience: str = APP_ID, issuer: str = ISSUER, lifetime_s: int = 3600,
              issued_ago_s: int = 0, **claims: Any) -> str:
        now = int(time.time()) - issued_ago_s
        body = {"iss": issuer, "aud": audience, "nbf": now - 5, "iat": now, "exp": now + lifetime_s,
                "serviceurl": service_url, **claims}
        return jwt.encode(body, self.private, algorithm="RS256", headers={"kid": self.kid})


class _Handler(JsonHandler):
    server: "FakeBotFramework"

    def do_GET(self) -> None:  # noqa: N802
        server = self.server
        server.fetches.append(self.path)
        if self.path == "/openid":
            self._json(200, {"issuer": ISSUER, "jwks_uri": f"{server.origin}/keys",
                             "id_token_signing_alg_values_supported": ["RS256"]})
        elif self.path == "/keys":
            self._json(200, {"keys": [key.jwk(["msteams", "webchat"]) for key in server.published]})
        else:
            self._json(404, {})

    def do_POST(self) -> None:  # noqa: N802
        server = self.server
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        if self.path == "/token":
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            server.token_requests.append(form)
            ok = form.get("client_id") == APP_ID and form.get("client_secret") == PASSWORD
            self._json(200 if ok else 401, {"token_type": "Bearer", "expires_in": 3600, "access_token": CONNECTOR_TOKEN}
                       if ok else {"error": "invalid_client"})
            return
        if self.path.startswith("/v3/conversations/"):
            with server.changed:
                server.replies.append({"path": self.path, "authorization": self.headers.get("Authorization", ""),
                                       "activity": json.loads(raw)})
                server.changed.notify_all()
            self._json(200, {"id": f"reply-{len(server.replies)}"})
            return
        self._json(404, {})


class FakeBotFramework(LoopbackServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.published = [SigningKey("key-1")]
        self.fetches: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self.replies: list[dict[str, Any]] = []
        self.changed = threading.Condition()

    def wait_for_replies(self, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.replies) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.replies)} replies, wanted {count}")
                self.changed.wait(left)
            return list(self.replies)
