"""Cloud Function `api_billing` (HTTP). The routes live in `archbuilder.api.billing`."""

import functions_framework
from flask import Request, Response

from archbuilder.api.billing import API


@functions_framework.http
def api_billing(request: Request) -> Response:
    return API.handle(request)
