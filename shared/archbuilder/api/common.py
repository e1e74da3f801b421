"""What every HTTP function's ``Api`` shares: authentication and settings."""

from __future__ import annotations

from flask import Request

from archbuilder.platform.http import Api
from archbuilder.runtime import get_runtime
from archbuilder.services.identity import Principal, authenticate_api_key


def authenticate(request: Request) -> Principal:
    """The caller behind ``X-API-Key`` (Firebase ID tokens come with the identity issue)."""
    return authenticate_api_key(get_runtime().store, request.headers.get("X-API-Key"))


def new_api(name: str) -> Api:
    return Api(
        name,
        authenticate=authenticate,
        default_language=lambda: get_runtime().settings.default_language,
        max_body_bytes=lambda: get_runtime().settings.max_body_bytes,
    )
