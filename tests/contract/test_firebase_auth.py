"""Firebase ID tokens, verified by firebase-admin against the Firebase Auth emulator."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from archbuilder.platform.errors import Unauthenticated
from tests.contract.conftest import PROJECT


def _sign_in(emulator: Any, email: str, password: str) -> str:
    """What the web app's Firebase SDK does: an ID token for email and password."""
    response = requests.post(
        f"http://{emulator.host}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-key",
        json={"email": email, "password": password, "returnSecureToken": True},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["idToken"])


@pytest.fixture
def verifier(auth_emulator: Any) -> Any:
    from archbuilder.adapters.gcp.firebase_auth import FirebaseTokenVerifier

    return FirebaseTokenVerifier(PROJECT)


def _user(verifier: Any) -> tuple[str, str, str]:
    from firebase_admin import auth

    email, password = f"{uuid.uuid4().hex[:10]}@example.com", "s3cret-pass"
    user = auth.create_user(email=email, password=password, app=verifier.app)
    return str(user.uid), email, password


def test_member_token_yields_tenant_and_role(verifier: Any, auth_emulator: Any) -> None:
    uid, email, password = _user(verifier)
    verifier.set_membership(uid, tenant_id="ten_1", role="architect")
    identity = verifier.verify(_sign_in(auth_emulator, email, password), check_revoked=True)
    assert (identity.uid, identity.tenant_id, identity.role, identity.email) == (
        uid,
        "ten_1",
        "architect",
        email,
    )


def test_token_without_membership_is_refused(verifier: Any, auth_emulator: Any) -> None:
    _, email, password = _user(verifier)
    with pytest.raises(Unauthenticated):
        verifier.verify(_sign_in(auth_emulator, email, password))


def test_garbage_and_revoked_tokens_are_refused(verifier: Any, auth_emulator: Any) -> None:
    with pytest.raises(Unauthenticated):
        verifier.verify("not-a-token")
    uid, email, password = _user(verifier)
    verifier.set_membership(uid, tenant_id="ten_1", role="owner")
    token = _sign_in(auth_emulator, email, password)
    time.sleep(1.1)  # revocation has one-second resolution
    verifier.revoke(uid)
    assert verifier.verify(token).tenant_id == "ten_1"  # without the check it still passes
    with pytest.raises(Unauthenticated) as raised:
        verifier.verify(token, check_revoked=True)
    assert raised.value.params["reason"] == "token revoked"


def test_the_stored_tenant_claim_is_read_from_the_account(verifier: Any, auth_emulator: Any) -> None:
    """What accepting an invitation checks, whatever an older ID token says."""
    uid, email, password = _user(verifier)
    early = verifier.verify_signed_in(_sign_in(auth_emulator, email, password))
    assert verifier.tenant_of(uid) is None and early.tenant_id is None
    verifier.set_membership(uid, tenant_id="ten_b", role="viewer")
    assert verifier.tenant_of(uid) == "ten_b"
    verifier.clear_membership(uid)
    assert verifier.tenant_of(uid) is None
    assert verifier.tenant_of("no-such-uid") is None
