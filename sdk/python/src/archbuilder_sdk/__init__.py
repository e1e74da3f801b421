"""Python client for the ArchBuilder Cloud REST API (v1).

Imported as ``archbuilder_sdk`` (the server's own package is ``archbuilder``)::

    from archbuilder_sdk import Client

    with Client("http://127.0.0.1:8080", api_key="ab_live_...") as client:
        project = client.create_project("Moda Apartmanı")
"""

from archbuilder_sdk._core import DEFAULT_BASE_URL, IdTokenSource, ProgressCallback
from archbuilder_sdk._retry import RetryPolicy
from archbuilder_sdk._version import __version__
from archbuilder_sdk.async_client import AsyncClient
from archbuilder_sdk.client import Client
from archbuilder_sdk.errors import (
    ArchBuilderError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    PayloadTooLargeError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
    UnprocessableError,
    ValidationFailedError,
)
from archbuilder_sdk.models import (
    CadModel,
    ComplianceReport,
    ComplianceSummary,
    ExportResult,
    Finding,
    Job,
    JobError,
    Layout,
    LayoutAccepted,
    LayoutVersion,
    ModelSpace,
    Page,
    Project,
    RegulationUploadCreated,
    UploadCreated,
    VersionSummary,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ArchBuilderError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "CadModel",
    "Client",
    "ComplianceReport",
    "ComplianceSummary",
    "ConflictError",
    "ExportResult",
    "Finding",
    "IdTokenSource",
    "Job",
    "JobError",
    "JobFailedError",
    "JobTimeoutError",
    "Layout",
    "LayoutAccepted",
    "LayoutVersion",
    "ModelSpace",
    "NotFoundError",
    "Page",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "Project",
    "ProgressCallback",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "UnprocessableError",
    "UploadCreated",
    "RegulationUploadCreated",
    "ValidationFailedError",
    "VersionSummary",
    "__version__",
]
