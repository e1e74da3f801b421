"""What the debug bundle's scrubbing takes out, and what it leaves for support to read."""

from __future__ import annotations

from archbuilder.services.backups import Inventory, content_hash
from archbuilder.services.debug_bundle import scrub, scrub_text


def test_credentials_emails_ips_and_stripe_ids_leave_strings() -> None:
    text = (
        "key ab_live_Zx9-Yw8_Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7 hook whsec_AbCdEfGhIjKlMnOpQrStUv "
        "mail Ayse.Yilmaz+work@example.com.tr from 192.168.10.24 customer cus_Q1w2e3r4t5y6u7 "
        "sub sub_1PqRsTuVwXyZ"
    )
    cleaned = scrub_text(text)
    for gone in ("ab_live_Zx9", "whsec_AbCd", "Yilmaz", "example.com", "192.168.10.24", "e3r4t5", "VwXyZ"):
        assert gone not in cleaned
    assert "cus_Q1w2…" in cleaned and "sub_1PqR…" in cleaned and "[EMAIL]" in cleaned


def test_personal_and_secret_fields_are_blanked_the_rest_kept() -> None:
    document = {
        "display_name": "Ayşe Yılmaz",
        "email": "a@b.co",
        "secret": "anything at all",
        "signing_secret": "x",
        "rooms": [{"name": "Salon", "area_m2": 25.5}],
        "subscription": {"customer_id": "cus_ABCDEFGHIJ", "status": "active", "billing_email": None},
        "count": 3,
    }
    cleaned = scrub(document)
    assert cleaned["display_name"] == "[PERSONAL]" and cleaned["email"] == "[PERSONAL]"
    assert cleaned["secret"] == "[REDACTED]" and cleaned["signing_secret"] == "[REDACTED]"
    assert cleaned["rooms"] == [{"name": "Salon", "area_m2": 25.5}] and cleaned["count"] == 3
    assert cleaned["subscription"] == {"customer_id": "cus_ABCD…", "status": "active", "billing_email": None}


def test_inventory_compares_by_content_not_key_order() -> None:
    backup = Inventory({"tenants/t": content_hash({"a": 1, "b": [1, 2]}), "tenants/u": content_hash({})})
    live = Inventory({"tenants/t": content_hash({"b": [1, 2], "a": 1}), "tenants/v": content_hash({})})
    comparison = backup.compare(live)
    assert (
        comparison.missing == ["tenants/u"] and comparison.extra == ["tenants/v"] and not comparison.changed
    )
    assert not comparison.restored and "1 missing" in comparison.summary()
    assert Inventory.parse(backup.lines()).hashes == backup.hashes
