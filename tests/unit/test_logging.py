"""Log lines are JSON objects Cloud Logging understands, with the request's context keys."""

from __future__ import annotations

import hashlib
import io
import json
import logging

from flask.testing import FlaskClient

from archbuilder.adapters.local.local_claims import LocalClaims
from archbuilder.platform.logging import CloudLoggingFormatter, bound, get_logger, log_fields
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials


def capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CloudLoggingFormatter("demo-project"))
    logger = get_logger("archbuilder.test-capture")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_line_carries_severity_trace_and_context() -> None:
    logger, stream = capture()
    with bound(
        correlation_id="c-1", trace_id="0af7651916cd43dd8448eb211c80319c", tenant_id="tnt_1", job_id="job_9"
    ):
        logger.warning("planning", extra=log_fields(rooms=7))
    logger.info("after")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["severity"] == "WARNING" and first["message"] == "planning" and first["rooms"] == 7
    assert (
        first["logging.googleapis.com/trace"]
        == "projects/demo-project/traces/0af7651916cd43dd8448eb211c80319c"
    )
    assert (first["correlation_id"], first["tenant_id"], first["job_id"]) == ("c-1", "tnt_1", "job_9")
    assert "correlation_id" not in second and second["severity"] == "INFO"


def test_exceptions_are_kept_in_one_line() -> None:
    logger, stream = capture()
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["severity"] == "ERROR" and "ValueError: boom" in entry["stack_trace"]


def test_credentials_are_redacted_wherever_they_appear() -> None:
    logger, stream = capture()
    key = "ab_live_" + "k" * 43
    with bound(correlation_id="c-2"):
        logger.info(f"using {key}", extra=log_fields(header=f"Bearer {'t' * 40}", openai="sk-" + "a" * 40))
        try:
            raise RuntimeError(f"stripe failed with whsec_{'s' * 20}")
        except RuntimeError:
            logger.exception("call failed")
    text = stream.getvalue()
    for secret in (key, "t" * 40, "a" * 40, "s" * 20):
        assert secret not in text
    assert text.count("[REDACTED]") >= 4


def _gcs_signed_url() -> str:
    """A V4 signed URL as the cloud adapter makes it, signed offline with a fresh key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from google.cloud import storage
    from google.oauth2 import service_account

    from archbuilder.adapters.gcp.gcs_blobs import GcsBlobStore

    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    signer = service_account.Credentials.from_service_account_info(
        {
            "type": "service_account",
            "client_email": "signer@demo-project.iam.gserviceaccount.com",
            "private_key": pem,
            "token_uri": "https://oauth2.googleapis.com/token",
            "project_id": "demo-project",
        }
    )
    client = storage.Client(project="demo-project", credentials=signer)
    return (
        GcsBlobStore(client, "uploads", signer=signer)
        .signed_download_url("t/export.zip", expires_in_s=60)
        .url
    )


def _jwt() -> str:
    """A token shaped like a Firebase ID token: RS256, with a key id."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"iss": "https://securetoken.google.com/demo-project", "sub": "u_ayse", "tenant_id": "tnt_1"}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def test_every_secret_we_mint_is_redacted_whole(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """Each credential format the code mints, minted by that code, logged in a message, a field
    and a stack trace: no eight characters of it in a row reach the line."""
    headers = tenant.headers
    # A webhook secret whose random part holds "-" or "_" (three in four do): once logged
    # whole or cut in half.
    for _ in range(20):
        webhook_secret = client.post(
            "/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["job.succeeded"]},
            headers=headers,
        ).json["secret"]
        if set(webhook_secret.removeprefix("whsec_")) & {"-", "_"}:
            break
    else:
        raise AssertionError("no webhook secret with - or _ in 20")
    invitation = client.post(
        "/v1/members/invitations", json={"email": "ayse@example.com", "role": "architect"}, headers=headers
    ).json["token"]
    project = client.post("/v1/projects", json={"name": "Logs"}, headers=headers).json["id"]
    upload_url = client.post(
        f"/v1/projects/{project}/uploads",
        json={
            "filename": "plan.dxf",
            "size_bytes": 3,
            "content_type": "application/octet-stream",
            "sha256": hashlib.sha256(b"abc").hexdigest(),
        },
        headers=headers,
    ).json["upload_url"]
    assert isinstance(runtime.claims, LocalClaims)
    gcs_url = _gcs_signed_url()
    secrets = {
        "api key": tenant.api_key,
        "webhook secret": webhook_secret,
        "invitation token": invitation,
        "local ID token": runtime.claims.issue_token("u_ayse", email="ayse@example.com"),
        "JWT": _jwt(),
        "local upload token": upload_url.rsplit("/", 1)[1],
        "local download token": runtime.blobs.signed_download_url("t/export.zip", expires_in_s=60).url.rsplit(
            "/", 1
        )[1],
        # Stripe's and Google's formats (they mint them; we hold them as settings), joined
        # here so that secret scanners do not take this file for a leak.
        "Stripe secret key": "_".join(("sk", "live", "51HqLyjWDarjtT1zdp7dcXt3BmFbsbkQ8p3ABc9oZuNQy8yB1")),
        "Stripe restricted key": "_".join(("rk", "test", "51HqLyjWDarjtT1zdk9Tq2vCt8a0TbFy1RTVY")),
        "Stripe webhook secret": "_".join(("whsec", "6c5b2e6f8a4d4c1b9e0f7a3d2c1b0a9f")),
        "Google access token": ".".join(("ya29", "a0AfB_byC3kq-9Xv2Lm4Np7Qr8St1Uv6Wx0Yz3Ab5Cd")),
    }
    logger, stream = capture()
    logged = [*secrets.values(), upload_url, gcs_url]
    logger.info(
        f"minted {' '.join(logged)}",
        extra=log_fields(tokens=logged, header=f"X-API-Key: {tenant.api_key}"),
    )
    try:
        raise RuntimeError(f"failed with {logged!r}")
    except RuntimeError:
        logger.exception("call failed")
    text = stream.getvalue()
    assert all(json.loads(line) for line in text.splitlines())  # still one JSON object a line
    secrets["GCS URL signature"] = gcs_url.rsplit("X-Goog-Signature=", 1)[1]
    leaked = {
        name: window
        for name, secret in secrets.items()
        for window in (secret[i : i + 8] for i in range(len(secret) - 7))
        if window in text
    }
    assert leaked == {}, leaked
    assert "X-Goog-Signature=[REDACTED]" in text  # the URL stays readable, its signature does not
