#!/usr/bin/env python
"""Take screenshots of signed-in pages with Playwright and Debian's Chromium (for docs/screenshots).

Usage: python scripts/screenshots.py BASE_URL USERNAME PASSWORD PATH=OUT.png [PATH=OUT.png ...]
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main(argv: list[str]) -> int:
    """Sign in once, then capture each PATH as a full-page PNG."""
    base, username, password, *shots = argv
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page.goto(f"{base}/accounts/sign-in/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button:has-text('Sign in')")
        page.wait_for_load_state()
        for shot in shots:
            path, out = shot.split("=", 1)
            page.goto(f"{base}{path}")
            page.wait_for_load_state()
            page.screenshot(path=out, full_page=True)
            print(out)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
