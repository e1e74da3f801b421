"""Cloud Function `api_admin` (HTTP). The routes live in `archbuilder.api.admin`."""

import functions_framework
from flask import Request, Response

from archbuilder.api.admin import API


@functions_framework.http
def api_admin(request: Request) -> Response:
    return API.handle(request)
