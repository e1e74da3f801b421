"""Cloud Function `stripe_webhook` (HTTP, called by Stripe). Routes: `archbuilder.api.billing.WEBHOOK_API`."""

import functions_framework
from flask import Request, Response

from archbuilder.api.billing import WEBHOOK_API


@functions_framework.http
def stripe_webhook(request: Request) -> Response:
    return WEBHOOK_API.handle(request)
