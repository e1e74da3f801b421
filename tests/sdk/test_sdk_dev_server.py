"""The Python SDK (sdk/python, ``archbuilder_sdk``) against the real dev server."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from archbuilder_sdk import (
    ArchBuilderError,
    AsyncClient,
    AuthenticationError,
    Client,
    ComplianceReport,
    Job,
    JobFailedError,
    NotFoundError,
    UnprocessableError,
    ValidationFailedError,
)
from ezdxf.filemanagement import readfile as read_dxf

from tests.conftest import REPO_ROOT, SHARED_DATA
from tests.e2e.test_walkthrough import README_BRIEF
from tests.sdk.conftest import Api

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BRIEF = README_BRIEF
IFC = SHARED_DATA / "ifc" / "AC20-FZK-Haus_IFC4.ifc"
REGULATIONS = REPO_ROOT / "tests" / "fixtures" / "regulations"
EVENTS_ROUTE = "/v1/jobs/<job_id>/events"


def test_brief_to_dxf(api: Api, tmp_path: Path) -> None:
    with Client(api.base, api_key=api.api_key) as client:
        project = client.create_project("Moda Apartmanı", code_region="TR", language="en")
        assert client.get_project(project.id) == project

        accepted = client.submit_brief(project.id, BRIEF)
        seen: list[Job] = []
        job = client.wait_for_job(accepted.job_id, timeout=60, on_progress=seen.append)
        assert job.succeeded and job.result == {"layout_id": accepted.layout_id, "version": 1}
        assert seen and seen[-1].status == "succeeded"
        # Followed on the event stream, not by polling.
        assert any(e.get("route") == EVENTS_ROUTE for e in api.log_entries())

        layout = client.get_layout(project.id, accepted.layout_id)
        assert [v.version for v in layout.versions] == [1] and layout.latest_version == 1
        version = client.get_version(project.id, layout.id, 1)
        payload = version.payload
        assert len(payload["rooms"]) == 7 and payload["doors"] and payload["windows"]

        exported = client.export(project.id, layout.id, 1, "dxf", tmp_path / "out" / "plan.dxf")
        assert exported.path.stat().st_size == exported.size_bytes > 0
        assert exported.content_type.startswith("application/dxf")
        assert exported.checksum is not None and exported.checksum == version.checksum
        doc = read_dxf(str(exported.path))
        assert len(doc.modelspace().query('LWPOLYLINE[layer=="A-WALL"]')) == len(payload["walls"])
        assert not (tmp_path / "out" / "plan.dxf.part").exists()

        report = client.get_compliance_report(project.id, layout.id, 1)
        assert isinstance(report, ComplianceReport) and report.region == "TR" and report.findings
        assert report.summary.passed == sum(f.status == "pass" for f in report.findings)

        # The same Idempotency-Key answers with the same layout; a call without one gets a new key.
        again = client.submit_brief(project.id, BRIEF, idempotency_key="sdk-test-brief-1")
        replay = client.submit_brief(project.id, BRIEF, idempotency_key="sdk-test-brief-1")
        assert (
            (replay.job_id, replay.layout_id)
            == (again.job_id, again.layout_id)
            != (
                accepted.job_id,
                accepted.layout_id,
            )
        )
        # Polling only, on a finished job: answers at once.
        assert client.wait_for_job(accepted.job_id, use_events=False, timeout=10).succeeded
        client.wait_for_job(again.job_id, timeout=60)


def test_upload_model_from_shared_data(api: Api) -> None:
    with Client(api.base, api_key=api.api_key) as client:
        project = client.create_project("FZK-Haus")
        model = client.upload_model(project.id, IFC, timeout=90)
        assert model.status == "ready" and model.format == "ifc" and model.schema_ == "IFC4"
        assert model.stats["spaces"] == 7 and model.stats["levels"] == 2
        assert any("Schlafzimmer" in space.name for space in model.spaces)
        assert client.get_model(project.id, model.id) == model
        report = client.check_model_compliance(project.id, model.id, region="DE")
        assert report.region == "DE" and report.findings


def test_upload_regulation(api: Api, tmp_path: Path) -> None:
    with Client(api.base, api_key=api.api_key) as client:
        job = client.upload_regulation(
            REGULATIONS / "tr_imar.txt", region="TR", language="tr", title="İmar (fixture)", timeout=90
        )
        assert job.kind == "regulation_ingest" and job.result and job.result["passages"] > 5
        found = client.request("GET", "/v1/regulations/search", params={"q": "yatak odaları"}).json()
        assert found["results"][0]["document_id"] == job.result["document_id"]
        mismatch = tmp_path / "rules.pdf"
        mismatch.write_text("MADDE 1 – (1) Not a PDF.", encoding="utf-8")
        with pytest.raises(JobFailedError) as failed:
            client.upload_regulation(mismatch, region="TR", language="tr", title="x", timeout=90)
        assert failed.value.code == "REGULATION_FORMAT_MISMATCH"


def test_paging(api: Api) -> None:
    with Client(api.base, api_key=api.api_key) as client:
        made = [client.create_project(f"Paging {n}").id for n in range(5)]
        first = client.list_projects(page_size=2)
        assert len(first.items) == 2 and first.next_page_token
        pages, token = [first], first.next_page_token
        while token:
            pages.append(client.list_projects(page_size=2, page_token=token))
            token = pages[-1].next_page_token
        listed = [p.id for page in pages for p in page.items]
        assert len(pages) >= 3 and len(listed) == len(set(listed))
        assert [p.id for p in client.iter_projects(page_size=2)] == listed
        # Newest first: the five just made come in reverse order.
        assert [i for i in listed if i in made] == made[::-1]


def test_errors_map_to_classes(api: Api) -> None:
    with Client(api.base, api_key=api.api_key, headers={"X-Correlation-ID": "sdk-test-errors"}) as client:
        with pytest.raises(NotFoundError) as missing:
            client.get_project("prj_does_not_exist")
        assert (missing.value.status, missing.value.code) == (404, "NOT_FOUND")
        assert missing.value.correlation_id == "sdk-test-errors" and missing.value.message

        project = client.create_project("Errors")
        too_big = dict(
            BRIEF, footprint={"width_mm": 6000, "depth_mm": 5000}, rooms=[{"type": "bedroom", "count": 8}]
        )
        with pytest.raises(UnprocessableError) as refused:
            client.submit_brief(project.id, too_big)
        assert refused.value.code == "PROGRAMME_TOO_LARGE" and refused.value.status == 422

        with pytest.raises(UnprocessableError) as unsupported:
            client.export(project.id, "lay_x", 1, "pdf", Path("never-written.pdf"))
        assert (
            unsupported.value.code == "UNSUPPORTED_EXPORT_FORMAT" and not Path("never-written.pdf").exists()
        )

        with pytest.raises(ValidationFailedError) as invalid:
            client.create_project("")
        assert isinstance(invalid.value, UnprocessableError)
        assert [e["field"] for e in invalid.value.field_errors] == ["name"]

        with pytest.raises(NotFoundError):
            client.wait_for_job("job_does_not_exist", timeout=10)

    # Without a correlation id of its own, the client gets the server's: body and header agree,
    # and the server logged the request under it.
    with (
        Client(api.base, api_key="ab_live_not_a_key") as stranger,
        pytest.raises(AuthenticationError) as denied,
    ):
        stranger.list_projects()
    error: ArchBuilderError = denied.value
    assert error.status == 401 and error.code == "UNAUTHENTICATED"
    assert error.correlation_id and re.fullmatch(r"[0-9a-f]{32}", error.correlation_id)
    assert error.headers["x-correlation-id"] == error.correlation_id
    assert any(e.get("correlation_id") == error.correlation_id for e in api.log_entries())


def test_async_client(api: Api, tmp_path: Path) -> None:
    async def scenario() -> tuple[list[str], int]:
        async with AsyncClient(api.base, api_key=api.api_key) as client:
            project = await client.create_project("Async")
            accepted = await client.submit_brief(project.id, BRIEF)
            job = await client.wait_for_job(accepted.job_id, timeout=60)
            assert job.succeeded
            version = await client.get_version(project.id, accepted.layout_id, 1)
            exported = await client.export(project.id, accepted.layout_id, 1, "svg", tmp_path / "plan.svg")
            assert exported.path.read_bytes().lstrip().startswith(b"<")
            layouts = [layout.id async for layout in client.iter_layouts(project.id, page_size=1)]
            with pytest.raises(NotFoundError):
                await client.get_layout(project.id, "lay_missing")
            return layouts, len(version.payload["rooms"])

    layouts, rooms = asyncio.run(scenario())
    assert len(layouts) == 1 and rooms == 7
