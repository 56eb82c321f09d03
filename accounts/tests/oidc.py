"""Start the real OpenID provider (accounts/tests/oidc_provider.mjs) and sign in through it."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID, CLIENT_SECRET = "plo-tracker", "test-secret-not-for-real-use"


@dataclass
class Provider:
    """A running provider: its issuer, its endpoints and the process."""

    issuer: str
    discovery: dict[str, Any]
    process: subprocess.Popen[bytes]

    def settings(self, **extra: Any) -> dict[str, Any]:
        """Django settings that point the product at this provider."""
        from django.conf import settings

        backends = [b for b in settings.AUTHENTICATION_BACKENDS if "oidc" not in b]
        return {
            "PLO_OIDC_ISSUER": self.issuer,
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": self.discovery["authorization_endpoint"],
            "OIDC_OP_TOKEN_ENDPOINT": self.discovery["token_endpoint"],
            "OIDC_OP_USER_ENDPOINT": self.discovery["userinfo_endpoint"],
            "OIDC_OP_JWKS_ENDPOINT": self.discovery["jwks_uri"],
            "AUTHENTICATION_BACKENDS": [*backends, "accounts.oidc.StaffOIDCBackend"],
            **extra,
        }

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def provider_start(*, redirect_uris: list[str], accounts: dict[str, dict[str, Any]] | None = None) -> Provider:
    """Start `oidc-provider` under node on a free port of 127.0.0.1 and wait until it answers."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        raise RuntimeError("node and the npm package oidc-provider (npm ci) are needed for the SSO tests")
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URIS": json.dumps(redirect_uris),
        "OIDC_ACCOUNTS": json.dumps(accounts or {}),
        "NODE_ENV": "test",
    }
    process = subprocess.Popen([node, str(SCRIPT)], cwd=ROOT, env=env, stdout=subprocess.PIPE)
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).json()
            return Provider(issuer=issuer, discovery=discovery, process=process)
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the OpenID provider did not start") from None
            time.sleep(0.1)


def provider_login(provider: Provider, authorize_url: str, login: str) -> str:
    """Sign in at the provider's own login page as `login`; returns the URL it sends the browser back to."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    action = re.search(r'action="([^"]+)"', page.text)
    if action is None:
        raise AssertionError(f"no login form at the provider: {page.status_code}")
    response = browser.post(
        urljoin(page.url, action[1]),
        data={"prompt": "login", "login": login, "password": "any"},
        allow_redirects=False,
        timeout=10,
    )
    # Follow the provider's own redirects until it sends the browser back to the client.
    while response.status_code in (302, 303):
        location = urljoin(response.url, response.headers["Location"])
        if urlsplit(location).netloc != urlsplit(provider.issuer).netloc:
            return location
        response = browser.get(location, allow_redirects=False, timeout=10)
    raise AssertionError(f"the provider did not send the browser back: {response.status_code}")
