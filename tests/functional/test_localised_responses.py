"""Issue 17: everything about a project reaches its reader in the project's language.

A Turkish project (in a German tenant) and a German project (in a Turkish tenant) go through
real HTTP: a brief becomes a layout, real CAD files are uploaded and ingested, the version's
compliance report (JSON and HTML), design review, SVG export, the DXF export's room labels, its
jobs, a 404 and 422s are read without Accept-Language; so are the jobs of two briefs the planner
refuses (PROGRAMME_DOES_NOT_FIT) and two corrections that cannot be applied (CORRECTION_INVALID).
Every text a reader sees is scanned for English words, and numbers for the English decimal
point; any hit fails the test with the response and the words.

What is not scanned, because it is no text in a language: ids and codes (``*_id``, ``code``,
``type``, ``status`` …), units, the Revit payload (ids, Revit family, type and level names), the
brief as sent, proper names (rooms, levels, the sources' titles), the rules' edition notes and
citations (the rule files' bibliographic record; in ``metadata.rules_applied`` the citation of
each room minimum the planner applied: a reference only, which the last test here checks), the level name
"Level 1" wherever the compliance report names the storey by it (the name the Revit add-in gives
the level; the payload refers to it), and in an error's details the correction's ``op`` (as
sent), the ``reason_code`` with its ``reason_params`` and ``reason``, the English words of the
reason kept for clients that read them (the message carries the reason in the reader's language).
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from ezdxf import recover
from ezdxf.entities.mtext import MText
from flask.testing import FlaskClient

from archbuilder.layout.room_minimums import DATA_FILE as ROOM_MINIMUMS
from archbuilder.platform.i18n import catalogue
from archbuilder.runtime import Runtime
from tests.conftest import SHARED_DATA, TenantCredentials, drain
from tests.functional.test_api_layouts import BRIEF
from tests.functional.test_uploads import put, start_upload

IFC = SHARED_DATA / "ifc" / "AC20-FZK-Haus_IFC4.ifc"  # German room names, two storeys
DXF = SHARED_DATA / "dxf" / "barcelona_pabellon_R2000.dxf"  # wrong $INSUNITS, unlabelled faces

# English words and phrases that are no word of Turkish or German (nor part of a proper name,
# id or code in these answers), matched as whole words, in any case.
ENGLISH = (
    "the", "of", "and", "is", "are", "has", "not", "with", "without", "both", "must",
    "should", "give", "given", "required", "value error", "field", "input", "valid", "invalid",
    "found", "upload", "uploaded", "file", "checked", "checking", "reading", "parsing", "waiting",
    "awaiting", "done", "queued", "apartment", "residential", "building", "floor plan", "storey",
    "level", "room", "rooms", "space", "spaces", "door", "doors", "window", "windows", "wall",
    "walls", "area", "height", "width", "minimum", "maximum", "limit", "pass", "passed", "fail",
    "failed", "error", "errors", "warning", "warnings", "advice", "good", "rule", "source",
    "measured", "finding", "review", "report", "design", "layout", "project", "job", "variant",
    "paragraph", "article", "unverified", "verified", "derived", "sum of minima", "former",
    "true", "false", "yes", "hall", "corridor", "kitchen", "bedroom", "bathroom", "living",
    "clashes", "openings", "drawing", "units", "guessed", "skipped", "amended",
)  # fmt: skip
ENGLISH_WORDS = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in ENGLISH) + r")\b", re.IGNORECASE)
# 2.80 m, 100.0 %: a decimal point where Turkish and German write a comma.
ENGLISH_NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")
# A whole text that is a catalogue key ("awaiting_upload"): a message nobody translated.
RAW_KEY = re.compile(r"[a-z]+(?:_[a-z]+)+")
# JSON members that hold ids, codes, units, machine-readable data or data as sent.
CODE_KEYS = frozenset(
    {
        "id", "code", "type", "kind", "status", "stage", "severity", "metric", "message_key", "unit",
        "units", "rules_version", "region", "language", "building_type", "format", "schema",
        "schema_version", "field", "fields", "location", "resource", "side", "source", "planner",
        "note", "detail", "rooms", "space_ids", "connects", "opens_into", "checksum", "upload_url",
        "headers", "method", "created_at", "updated_at", "expires_at", "source_ref", "correlation_id",
        "rule_id", "edition", "type_name", "op", "reason", "reason_code", "citation",
    }
)  # fmt: skip
SKIPPED_TREES = frozenset(
    {
        "payload", "brief", "score_parts", "levels", "walls", "doors", "windows", "reason_params",
    }
)  # fmt: skip
LEVEL_NAME = "Level 1"  # the planner's level: its name in the Revit model, an id in the payload


@dataclass
class Answer:
    what: str
    status: int
    content_language: str | None
    texts: list[str] = field(default_factory=list)
    # Field paths an error names ("rooms.0.count"): codes, also where a message quotes them.
    fields: list[str] = field(default_factory=list)
    data: Any = None  # the JSON body


def json_texts(value: Any, key: str = "") -> list[str]:
    """The strings a reader sees in a JSON answer (see CODE_KEYS and SKIPPED_TREES)."""
    if key in SKIPPED_TREES:
        return []
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in json_texts(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in json_texts(v, key)]
    if key in CODE_KEYS or key.endswith(("_id", "_ids")):
        return []
    return [value] if isinstance(value, str) else []


def html_texts(page: str) -> list[str]:
    """The visible text of an HTML page: no style, no tags, no <code> (rule ids, versions)."""
    page = re.sub(r"<style>.*?</style>|<code>.*?</code>", " ", page, flags=re.S)
    return [html.unescape(t).strip() for t in re.split(r"<[^>]+>", page) if t.strip()]


def svg_texts(svg: str) -> list[str]:
    """The words drawn into an SVG: its title and its labels."""
    return [html.unescape(t) for t in re.findall(r"<(?:title|text)[^>]*>([^<]*)</", svg)]


def dxf_texts(data: bytes) -> list[str]:
    """The room labels of a DXF drawing (name, number and area), read back with ezdxf."""
    doc, _ = recover.read(io.BytesIO(data))
    return [e.plain_text() for e in doc.modelspace() if isinstance(e, MText) and e.dxf.layer == "A-AREA-IDEN"]


def read(client: FlaskClient, what: str, method: str, url: str, headers: dict[str, str], **kw: Any) -> Answer:
    response = client.open(url, method=method, headers=headers, **kw)
    content_type = response.headers.get("Content-Type", "")
    fields: list[str] = []
    data = None
    if "dxf" in content_type:  # in the drawing's code page, not UTF-8
        texts = dxf_texts(response.get_data())
        return Answer(what, response.status_code, response.headers.get("Content-Language"), texts)
    body = response.get_data(as_text=True)
    if "json" in content_type:
        data = json.loads(body) if body else None
        texts = json_texts(data)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            fields = [str(f) for f in error.get("details", {}).get("fields", [])]
    elif "svg" in content_type:
        texts = svg_texts(body)
    elif "html" in content_type:
        texts = html_texts(body)
    else:
        texts = [body]
    return Answer(what, response.status_code, response.headers.get("Content-Language"), texts, fields, data)


def english_in(answer: Answer) -> list[str]:
    """The English words, and numbers written the English way, in an answer's texts."""
    found = [f"untranslated key {text!r}" for text in answer.texts if RAW_KEY.fullmatch(text)]
    for text in answer.texts:
        for code in [LEVEL_NAME, *sorted(answer.fields, key=len, reverse=True)]:
            text = text.replace(code, "")
        found += [f"{m.group(0)!r} in {text[:160]!r}" for m in ENGLISH_WORDS.finditer(text)]
        found += [f"number {m.group(0)!r} in {text[:160]!r}" for m in ENGLISH_NUMBER.finditer(text)]
    return found


def project_answers(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, language: str
) -> tuple[list[Answer], dict[str, Any]]:
    """Every answer about a new project in ``language``, read without Accept-Language."""
    h = tenant.headers
    created = client.post("/v1/projects", json={"name": "Konut", "language": language}, headers=h)
    assert created.status_code == 201, created.json
    project = created.json["id"]
    answers: list[Answer] = []
    accepted = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=h)
    assert accepted.status_code == 202, accepted.json
    drain(runtime)
    job, layout = accepted.json["job_id"], accepted.json["layout_id"]
    base = f"/v1/projects/{project}/layouts/{layout}"
    answers += [
        read(client, "layout job", "GET", f"/v1/jobs/{job}", h),
        read(client, "version", "GET", f"{base}/versions/1", h),
        read(client, "compliance json", "GET", f"{base}/versions/1/compliance", h),
        read(client, "compliance html", "GET", f"{base}/versions/1/compliance?format=html", h),
        read(client, "design review json", "GET", f"{base}/versions/1/design-review", h),
        read(client, "design review html", "GET", f"{base}/versions/1/design-review?format=html", h),
        read(client, "svg export", "GET", f"{base}/versions/1/export?format=svg", h),
        read(client, "dxf export", "GET", f"{base}/versions/1/export?format=dxf", h),
        read(client, "404 layout", "GET", f"/v1/projects/{project}/layouts/lay_x", h),
        read(client, "404 model", "GET", f"/v1/projects/{project}/models/mdl_x", h),
        read(client, "422 compliance format", "GET", f"{base}/versions/1/compliance?format=pdf", h),
    ]
    broken = BRIEF | {"footprint": {"width_mm": 12000}, "rooms": [{"type": "kitchen", "count": 0}]}
    answers.append(read(client, "422 brief", "POST", f"/v1/projects/{project}/layouts", h, json=broken))
    answers += refusal_answers(client, runtime, tenant, project, base)
    for path in (IFC, DXF):
        answers += upload_answers(client, runtime, tenant, project, path)
    return answers, {"project": project, "base": base, "job": job}


# Briefs that pass the checks at submission but that the planner refuses (PROGRAMME_DOES_NOT_FIT):
# no split of a narrow footprint fits the rooms, and party walls on both long sides leave the
# living room too little facade for its windows.
TIGHT_BRIEF: dict[str, Any] = {
    "building_type": "apartment",
    "footprint": {"width_mm": 5000, "depth_mm": 9000},
    "entrance": {"side": "east"},
    "rooms": [{"type": "living_room"}, {"type": "kitchen"}, {"type": "bedroom"}, {"type": "bathroom"}],
}
PARTY_WALL_BRIEF: dict[str, Any] = {
    "building_type": "apartment",
    "footprint": {"width_mm": 7000, "depth_mm": 20000},
    "party_walls": ["east", "west"],
    "entrance": {"side": "south"},
    "rooms": [
        {"type": "living_room"}, {"type": "kitchen"}, {"type": "bedroom", "count": 3},
        {"type": "bathroom"}, {"type": "hall"},
    ],
}  # fmt: skip


def refusal_answers(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, project: str, base: str
) -> list[Answer]:
    """The failed jobs of briefs the planner refuses and the 422s of corrections that cannot be
    applied (an exterior wall moved, a door made narrower than a door can be)."""
    h = tenant.headers
    answers = []
    for what, brief in (("tight brief", TIGHT_BRIEF), ("party-wall brief", PARTY_WALL_BRIEF)):
        accepted = client.post(f"/v1/projects/{project}/layouts", json=brief, headers=h)
        assert accepted.status_code == 202, accepted.json
        drain(runtime)
        answers.append(read(client, f"refused {what}", "GET", f"/v1/jobs/{accepted.json['job_id']}", h))
    door = client.get(f"{base}/versions/1", headers=h).json["payload"]["doors"][0]["id"]
    for what, correction in (
        ("exterior wall", {"op": "move_wall", "wall_id": "W1", "offset_mm": 500}),
        ("door width", {"op": "resize_opening", "opening_id": door, "width_mm": 100}),
    ):
        body = {"corrections": [correction]}
        answers.append(read(client, f"422 correction {what}", "POST", f"{base}/review", h, json=body))
    return answers


def upload_answers(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, project: str, path: Path
) -> list[Answer]:
    h, data, kind = tenant.headers, path.read_bytes(), path.suffix[1:]
    started = start_upload(client, tenant, project, path.name, data)
    assert started.status_code == 201, started.json
    answers = [read(client, f"{kind} job before the file", "GET", f"/v1/jobs/{started.json['job_id']}", h)]
    assert put(client, started.json["upload_url"], data, started.json["headers"]).status_code == 200
    drain(runtime)
    model = f"/v1/projects/{project}/models/{started.json['model_id']}"
    ref = {"model_ref": {"project_id": project, "model_id": started.json["model_id"]}}
    answers += [
        read(client, f"{kind} job", "GET", f"/v1/jobs/{started.json['job_id']}", h),
        read(client, f"{kind} model", "GET", model, h),
        read(client, f"{kind} compliance check", "POST", "/v1/compliance/check", h, json=ref),
        read(
            client, f"{kind} compliance check html", "POST", "/v1/compliance/check?format=html", h, json=ref
        ),
    ]
    return answers


@pytest.mark.parametrize("language", ["tr", "de"])
def test_a_project_answers_in_its_language_without_a_word_of_english(
    client: FlaskClient,
    runtime: Runtime,
    tenant: TenantCredentials,
    other_tenant: TenantCredentials,
    language: str,
) -> None:
    # The tenant speaks the other language: the project's own must win everywhere.
    owner = other_tenant if language == "tr" else tenant
    answers, _ = project_answers(client, runtime, owner, language)
    problems = {a.what: english_in(a) for a in answers}
    assert {what: found for what, found in problems.items() if found} == {}
    assert {a.what: a.content_language for a in answers if a.content_language != language} == {}
    statuses = {a.what: a.status for a in answers}
    assert statuses["404 layout"] == statuses["404 model"] == 404
    assert statuses["422 brief"] == statuses["422 compliance format"] == 422
    assert statuses["422 correction exterior wall"] == statuses["422 correction door width"] == 422
    refused = {a.what: a.data["error"]["code"] for a in answers if a.what.startswith(("refused", "422 corr"))}
    assert refused == {
        "refused tight brief": "PROGRAMME_DOES_NOT_FIT",
        "refused party-wall brief": "PROGRAMME_DOES_NOT_FIT",
        "422 correction exterior wall": "CORRECTION_INVALID",
        "422 correction door width": "CORRECTION_INVALID",
    }
    assert all(s in (200, 201) for w, s in statuses.items() if not w.startswith(("404", "422"))), statuses
    texts = {a.what: " ".join(a.texts) for a in answers}
    expected = {
        "tr": {
            "404 layout": "Yerleşim 'lay_x' bulunamadı.",
            "422 brief": "width_mm ve depth_mm birlikte verilmeli.",
            "422 compliance format": "'json' veya 'html'",
            "compliance html": "%100,0",
            "svg export": "Kat planı",
            "ifc job before the file": "Dosyanın yüklenmesi bekleniyor",
            "ifc model": "yüklemede yapı kullanımı belirtilmedi",
            "dxf model": "$INSUNITS in diyor",
            "refused tight brief": "taban alanının hiçbir bölünüşü her odaya",
            "refused party-wall brief": "komşu duvarları (doğu, batı) dışında kalan cepheler",
            "422 correction exterior wall": "dış duvarlar taban alanını izler ve taşınamaz",
            "422 correction door width": "genişlik en az 600 mm olmalı",
        },
        "de": {
            "404 layout": "Grundriss 'lay_x' wurde nicht gefunden.",
            "422 brief": "width_mm und depth_mm sind beide erforderlich.",
            "422 compliance format": "'json' oder 'html'",
            "compliance html": "100,0\u00a0%",
            "svg export": "Grundriss",
            "ifc job before the file": "Wartet auf das Hochladen der Datei",
            "ifc model": "Gebäudenutzung beim Hochladen nicht angegeben",
            "dxf model": "$INSUNITS nennt in",
            "refused tight brief": "keine Aufteilung der Grundfläche gibt jedem Raum",
            "refused party-wall brief": "neben den Brandwänden (Ost, West) bleibt",
            "422 correction exterior wall": "Außenwände folgen der Grundfläche",
            "422 correction door width": "die Breite muss mindestens 600 mm betragen",
        },
    }[language]
    assert {what: words for what, words in expected.items() if words not in texts[what]} == {}
    validation = catalogue("validation")
    assert validation["greater_than_equal"][language].replace("{ge}", "1") in texts["422 brief"]
    labels = next(a.texts for a in answers if a.what == "dxf export")
    assert labels and all(re.search(r"\n\d+,\d m²$", label) for label in labels), labels
    jobs = [a.data for a in answers if a.what.endswith(("job", "job before the file"))]
    stages = catalogue("stages")
    assert [(j["stage"], j["message"]) for j in jobs] == [
        (j["stage"], stages[j["stage"]][language]) for j in jobs
    ]


def test_accept_language_wins_over_the_projects_language(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    h = tenant.headers
    project = client.post("/v1/projects", json={"name": "Haus", "language": "de"}, headers=h).json["id"]
    accepted = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=h).json
    drain(runtime)
    base = f"/v1/projects/{project}/layouts/{accepted['layout_id']}/versions/1"
    fr = h | {"Accept-Language": "fr-FR, de;q=0.5"}
    page = client.get(f"{base}/compliance?format=html", headers=fr)
    assert page.headers["Content-Language"] == "fr" and "Rapport de conformité" in page.get_data(as_text=True)
    assert "100,0\u00a0%" in page.get_data(as_text=True)
    english = client.get(f"/v1/jobs/{accepted['job_id']}", headers=h | {"Accept-Language": "en"}).json
    assert english["message"] == "Done"
    assert client.get(f"/v1/jobs/{accepted['job_id']}", headers=h).json["message"] == "Fertig"
    svg = client.get(f"{base}/export?format=svg", headers=h | {"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "<title>Floor plan</title>" in svg and re.search(r">\d+\.\d m²<", svg)
    assert "<title>Grundriss</title>" in client.get(f"{base}/export?format=svg", headers=h).get_data(
        as_text=True
    )
    # A project the caller cannot see says nothing about its language: the tenant's (tr) applies.
    missing = client.get("/v1/projects/prj_missing", headers=h).json
    assert missing["error"]["message"] == "Proje 'prj_missing' bulunamadı."


def test_the_room_minimums_cite_references_without_english_remarks() -> None:
    """``metadata.rules_applied`` shows each applied minimum's citation to every reader: outside
    the US codes (written in English) it is a document and an article, never a researcher's
    English remark ("no size", "unverified", "e.g. …"), which stays in the data file's comments."""
    data = yaml.safe_load(ROOM_MINIMUMS.read_text(encoding="utf-8"))
    remarks = {
        rule["id"]: rule["citation"]
        for region, rules in data.items()
        if not region.startswith("US")
        for rule in rules
        if ENGLISH_WORDS.search(rule["citation"])
    }
    assert remarks == {}
