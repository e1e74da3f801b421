"""Cloud Function `api_regulations` (HTTP). The routes live in `archbuilder.api.regulations`."""

import functions_framework
from flask import Request, Response

from archbuilder.api.regulations import API


@functions_framework.http
def api_regulations(request: Request) -> Response:
    return API.handle(request)
