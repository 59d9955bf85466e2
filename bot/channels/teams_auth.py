"""Checks that a request to /teams/messages really comes from the Bot Framework.

The token is a JWT signed with a key the Bot Framework publishes: its OpenID metadata names the
JWKS, both cached (a day) and fetched again when a token names a key not seen yet (at most every
five minutes, so forged key ids cannot make us hammer Microsoft). The token must be RS256, issued
by `https://api.botframework.com`, for our app id, current within five minutes of clock skew, and
its `serviceurl` claim must be the activity's `serviceUrl` (so a reply never goes where the
sender did not sign for). A key that lists endorsements must endorse the activity's channel.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from bot.errors import BotError

ISSUER = "https://api.botframework.com"
CLOCK_SKEW_S = 300
CACHE_S = 24 * 3600
REFRESH_FLOOR_S = 300


class Unauthorized(BotError):
    """The request's token is missing or does not prove it comes from the Bot Framework."""


@dataclass
class _Keys:
    by_kid: dict[str, tuple[Any, list[str]]] = field(default_factory=dict)
    fetched_at: float = 0.0


class BotFrameworkAuth:
    def __init__(self, app_id: str, openid_url: str, http: httpx.AsyncClient) -> None:
        self.app_id, self.openid_url, self.http = app_id, openid_url, http
        self._keys = _Keys()
        self._lock = asyncio.Lock()

    async def _fetch(self) -> None:
        metadata = (await self.http.get(self.openid_url)).raise_for_status().json()
        jwks = (await self.http.get(metadata["jwks_uri"])).raise_for_status().json()
        keys: dict[str, tuple[Any, list[str]]] = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid"):
                keys[jwk["kid"]] = (jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk)), list(jwk.get("endorsements", [])))
        self._keys = _Keys(keys, time.monotonic())

    async def _key(self, kid: str) -> tuple[Any, list[str]]:
        async with self._lock:
            age = time.monotonic() - self._keys.fetched_at
            stale = not self._keys.fetched_at or age > CACHE_S
            unknown_and_may_refresh = kid not in self._keys.by_kid and age > REFRESH_FLOOR_S
            if stale or unknown_and_may_refresh:
                try:
                    await self._fetch()
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    if not self._keys.by_kid:
                        raise Unauthorized(f"cannot fetch the Bot Framework signing keys: {type(exc).__name__}") from exc
        if kid not in self._keys.by_kid:
            raise Unauthorized("the token is signed with a key the Bot Framework does not publish")
        return self._keys.by_kid[kid]

    async def verify(self, authorization: str | None, activity: dict[str, Any]) -> dict[str, Any]:
        """The token's claims, or Unauthorized saying what is wrong."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("no Bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("the token is not a JWT") from exc
        if header.get("alg") != "RS256":
            raise Unauthorized(f"tokens must be RS256, not {header.get('alg')!r}")
        key, endorsements = await self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token, key, algorithms=["RS256"], audience=self.app_id, issuer=ISSUER, leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("the token is for another app") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("the token is not issued by the Bot Framework") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is not valid: {type(exc).__name__}") from exc
        if claims.get("serviceurl", "").rstrip("/") != str(activity.get("serviceUrl", "")).rstrip("/"):
            raise Unauthorized("the token's serviceurl is not the activity's serviceUrl")
        if endorsements and activity.get("channelId") not in endorsements:
            raise Unauthorized(f"the signing key does not endorse channel {activity.get('channelId')!r}")
        return claims


class ConnectorToken:
    """The client-credentials token replies to the Bot Framework connector carry, cached until
    a minute before it expires."""

    def __init__(self, token_url: str, app_id: str, password: str, http: httpx.AsyncClient) -> None:
        self.token_url, self.app_id, self.password, self.http = token_url, app_id, password, http
        self._token, self._expires = "", 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:
            if time.monotonic() < self._expires:
                return self._token
            response = await self.http.post(self.token_url, data={
                "grant_type": "client_credentials", "client_id": self.app_id, "client_secret": self.password,
                "scope": "https://api.botframework.com/.default",
            })
            response.raise_for_status()
            body = response.json()
            self._token = body["access_token"]
            self._expires = time.monotonic() + max(0, int(body.get("expires_in", 3600)) - 60)
            return self._token


__all__ = ["BotFrameworkAuth", "ConnectorToken", "Unauthorized"]
