"""Cloud Function `api_projects` (HTTP). The routes live in `archbuilder.api.projects`."""

import functions_framework
from flask import Request, Response

from archbuilder.api.projects import API


@functions_framework.http
def api_projects(request: Request) -> Response:
    return API.handle(request)
