"""Cloud Function `api_layouts` (HTTP). The routes live in `archbuilder.api.layouts`."""

import functions_framework
from flask import Request, Response

from archbuilder.api.layouts import API


@functions_framework.http
def api_layouts(request: Request) -> Response:
    return API.handle(request)
