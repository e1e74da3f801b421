"""Cloud Function `api_compliance` (HTTP). The routes live in `archbuilder.api.compliance`."""

import functions_framework
from flask import Request, Response

from archbuilder.api.compliance import API


@functions_framework.http
def api_compliance(request: Request) -> Response:
    return API.handle(request)
