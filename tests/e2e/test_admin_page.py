"""The operator page in a real headless browser: Debian's chromium driven by Playwright.

The month is seeded in-process (signed Stripe events through the webhook, real layout jobs and
reviews), then the real dev server serves the same data folder over loopback; the browser signs
in with an operator key made by the CLI and reads the figures off the page. The CLI's
``admin report`` shows the same figures. Never downloads a browser: without /usr/bin/chromium
(``make chromium``) the test is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from archbuilder.billing.fake_stripe import FakeStripe
from archbuilder.runtime import Runtime
from tests.business_month import WEBHOOK_SECRET, seed_month
from tests.e2e.dev_server import admin_cli, dev_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make chromium)"),
]


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        yield server


def test_the_operator_page_shows_the_month(
    runtime: Runtime, client: FlaskClient, fake: FakeStripe, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_business")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("STRIPE_API_BASE", fake.url)
    month = seed_month(runtime, client, fake)
    ivy = month.tenants["I"].tenant_id

    with dev_server(runtime.settings.data_dir, STRIPE_API_BASE=fake.url) as (base, env):
        key = json.loads(admin_cli(env, "create-operator-key", "--name", "E2E operator", "--json").stdout)[
            "api_key"
        ]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                # Nothing leaves the machine: any request off loopback fails the test.
                off_loopback: list[str] = []
                page.on(
                    "request",
                    lambda r: (
                        None
                        if r.url.startswith(("http://127.0.0.1", "data:"))
                        else off_loopback.append(r.url)
                    ),
                )
                page.goto(f"{base}/admin")
                assert page.url.endswith("/admin/login")
                page.fill("#key", "ab_op_wrong")
                page.click("button[type=submit]")
                assert "not a valid operator key" in page.inner_text("body")
                page.fill("#key", key)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/admin")

                def figure(name: str) -> str:
                    return page.inner_text(f'[data-metric="{name}"]').strip()

                assert figure("mrr.professional.TRY") == "3,980.00"
                assert figure("mrr.enterprise.EUR") == "207.50"
                assert figure("subscriptions.professional.USD") == "2"
                assert figure("movement.new.EUR") == "3"
                assert figure("movement.expansion.EUR") == "1"
                assert figure("movement.contraction.EUR") == "1"
                assert figure("movement.churn.USD") == "1"
                assert figure("trials.conversion_rate") == "50.0 %"
                assert figure("payments.failed") == "2" and figure("payments.recovered") == "1"
                assert figure("margin." + month.tenants["A"].tenant_id) == "$56.50"
                assert figure("margin." + month.tenants["H"].tenant_id) == "−$0.90"
                assert figure("quota.free.layouts.at_limit") == "1"
                assert figure("generation.success_rate") == "75.0 %" and figure("success_rate") == "75.0 %"
                assert figure("reviews.approved") == "1" and figure("reviews.corrected") == "1"
                assert figure("reviews.rejected") == "1"
                assert page.get_attribute(f'[data-metric="risk.{ivy}"]', "data-value") == "usage_falling"
                assert page.locator("svg[role=img]").count() >= 8
                assert off_loopback == []

                shot = tmp_path / "admin-business-view.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                if os.environ.get("ARCHBUILDER_DOCS_SCREENSHOT"):
                    shutil.copyfile(shot, os.environ["ARCHBUILDER_DOCS_SCREENSHOT"])

                page.click("text=Sign out")
                page.wait_for_url(f"{base}/admin/login")
                page.goto(f"{base}/admin")
                assert page.url.endswith("/admin/login")
            finally:
                browser.close()

        # The CLI prints the same month; billing-report is still there.
        report = json.loads(admin_cli(env, "report", "--json").stdout)
        assert report["trials"]["conversion_rate"] == 0.5 and report["generation"]["success_rate"] == 0.75
        assert "MRR by plan and currency" in admin_cli(env, "billing-report").stdout
