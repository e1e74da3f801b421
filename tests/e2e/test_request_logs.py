"""The dev server's output names route templates, never the uids or tokens in request paths."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.e2e.dev_server import dev_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_dev_server_output_has_no_uids_from_paths(tmp_path: Path) -> None:
    uid = "uid_never_logged_7f3a"
    with dev_server(tmp_path) as (base, _):
        assert requests.delete(f"{base}/v1/members/{uid}", timeout=10).status_code == 401
        assert requests.get(f"{base}/v1/{uid}", timeout=10).status_code == 404
    output = (tmp_path / "server.log").read_text()
    assert uid not in output
    assert '"requestUrl": "/v1/members/{uid}"' in output
