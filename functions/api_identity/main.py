"""Cloud Function `api_identity` (HTTP). The routes live in `archbuilder.api.identity`."""

import functions_framework
from flask import Request, Response

from archbuilder.api.identity import API


@functions_framework.http
def api_identity(request: Request) -> Response:
    return API.handle(request)
