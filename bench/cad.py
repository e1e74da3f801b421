"""CAD ingestion benchmark: our pipeline against the bare library parse of the same files.

For every real file in ../shared/data/{dxf,dwg,ifc}, measured in the same run:

- **bare**: the library alone reading the file in a warm interpreter (``ezdxf.readfile``,
  ``ifcopenshell.open``; for DWG ``ezdwg.read`` + ``ezdwg.to_dxf`` + ``ezdxf.readfile``, the
  least any DWG path here does).
- **reader**: our reader in the same warm interpreter, no sandbox (bare parse + extraction).
- **pipeline**: what ``cad_ingest`` does minus storage and the compliance check: ``sniff`` on
  the bytes, the file written to a temporary folder, ``parse_in_sandbox`` with the function's
  limits (``settings.parse_timeout_s`` / ``parse_memory_mb``), ``classify_space`` on every space.
  Warmed like the bare parse: the first call also starts the sandbox's fork server (once per
  function instance) and is shown apart as "first ms".
- **peak**: the sandbox child's peak RSS (reported by the child itself, ``getrusage(RUSAGE_SELF)``),
  as a multiple of the file size, and the same above the child's floor (its peak for a
  near-empty file of that format: interpreter plus parser libraries, paid whatever the file);
  beside it the bare parse's own peak (one parse in a process of its own) and our peak ÷ it.

Then a generated ~20 MB DXF and ~50 MB IFC (many walls and rooms, in a temporary folder)
go through the same measurements and end to end through the embedded runtime (upload URL →
PUT → Storage event → ``cad_ingest`` → model and compliance report).

Targets (issue 5): pipeline overhead ≤ 25 % over the bare parse; peak ≤ 8 × file size.
Run: ``python -m bench.cad`` (``make bench-cad``); ``--quick`` skips the generated files.
Every measurement runs in a fresh worker process (``python -m bench.cad --measure …``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
FOLDERS = ("dxf", "dwg", "ifc")
OVERHEAD_TARGET = 0.25
PEAK_TARGET = 8.0
MB = 1024 * 1024


# --- measuring one file (runs in a worker process) -------------------------------------------


def _bare(path: Path, fmt: str) -> Callable[[], object]:
    if fmt == "dxf":
        from ezdxf.filemanagement import readfile

        return lambda: readfile(str(path))
    if fmt == "ifc":
        import ifcopenshell

        return lambda: ifcopenshell.open(str(path))
    if fmt == "dwg":
        import ezdwg
        from ezdxf.filemanagement import readfile

        def dwg() -> object:
            with tempfile.TemporaryDirectory(prefix="bench-dwg-") as folder:
                out = Path(folder) / "converted.dxf"
                ezdwg.to_dxf(ezdwg.read(str(path)), str(out))
                return readfile(str(out))

        return dwg
    raise ValueError(fmt)


def _reader(path: Path, fmt: str) -> Callable[[], object]:
    if fmt == "dxf":
        from archbuilder.cad.dxf_reader import read_dxf

        return lambda: read_dxf(path)
    if fmt == "ifc":
        from archbuilder.cad.ifc_reader import read_ifc

        return lambda: read_ifc(path)
    from archbuilder.cad.dwg_reader import read_dwg

    return lambda: read_dwg(path)


_PEAKS: list[int] = []  # the sandbox children's own peak RSS, reported back with each model


def pipeline(path: Path, *, timeout_s: float, memory_mb: int) -> Any:
    """What cad_ingest does with the bytes of one upload, minus storage and compliance."""
    from archbuilder.cad.sandbox import parse_in_sandbox
    from archbuilder.cad.sniff import sniff
    from archbuilder.compliance import classify_space

    data = path.read_bytes()
    sniffed = sniff(data, path.name)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        target = Path(folder) / f"upload.{sniffed.format}"
        target.write_bytes(data)
        stats: dict[str, int] = {}
        model = parse_in_sandbox(
            str(target), sniffed.format, timeout_s=timeout_s, memory_mb=memory_mb, stats=stats
        )
        _PEAKS.append(stats.get("peak_rss_bytes", 0))
    spaces = [
        s if s.type is not None else s.model_copy(update={"type": classify_space(s.name)})
        for s in model.spaces
    ]
    return model.model_copy(update={"spaces": spaces})


def _timed(action: Callable[[], object], repeat: int) -> tuple[float, object]:
    times: list[float] = []
    result: object = None
    for _ in range(repeat):
        result = None  # let the previous result go first: peaks are of one parse, not two
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(path: Path, fmt: str, repeat: int, *, parts: tuple[str, ...]) -> dict[str, Any]:
    """Medians of ``repeat`` runs of each part, and the sandbox child's peak RSS."""
    from archbuilder.platform.settings import Settings

    settings = Settings(_env_file=None)
    out: dict[str, Any] = {"bytes": path.stat().st_size, "fmt": fmt}
    if "bare_peak" in parts:
        # One parse in a process of its own: ifcopenshell keeps a parsed file's memory after the
        # file object is gone, so a peak taken after the timed runs would count several files.
        _bare(path, fmt)()
        out["bare_peak_bytes"] = _own_peak()
    if "bare" in parts:
        bare = _bare(path, fmt)
        bare()  # warm: imports and first-call costs are not the parse's
        out["bare_s"], _ = _timed(bare, repeat)
    if "reader" in parts:
        reader = _reader(path, fmt)
        out["reader_s"], _ = _timed(reader, repeat)
    if "pipeline" in parts:
        from archbuilder.platform.errors import ArchBuilderError

        start = time.perf_counter()
        try:
            # Warm, as the bare parse is: a function instance starts its fork server (and imports
            # the parser libraries there) once, not per file. The first call is reported apart.
            pipeline(path, timeout_s=settings.parse_timeout_s, memory_mb=settings.parse_memory_mb)
            out["first_s"] = time.perf_counter() - start
            _PEAKS.clear()
            seconds, model = _timed(
                lambda: pipeline(
                    path, timeout_s=settings.parse_timeout_s, memory_mb=settings.parse_memory_mb
                ),
                repeat,
            )
        except ArchBuilderError as refusal:  # a limit hit is a result too: keep the other figures
            out["pipeline_error"] = f"{refusal.code} {refusal.params}"
            out["pipeline_s"] = time.perf_counter() - start
        else:
            out["pipeline_s"] = seconds
            out["stats"] = {
                k: len(getattr(model, k)) for k in ("levels", "spaces", "walls", "doors", "windows")
            }
        # The children are forked by the sandbox's fork server, so they report their own peak.
        out["peak_bytes"] = max(_PEAKS, default=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
    out["limits"] = {"timeout_s": settings.parse_timeout_s, "memory_mb": settings.parse_memory_mb}
    return out


def _own_peak() -> int:
    """This process's peak RSS since it started (``VmHWM``). Not ``ru_maxrss``: Linux carries that
    across ``exec`` from the forking parent, so a worker started by a big bench process would
    report the parent's size."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _in_worker(path: Path, fmt: str, repeat: int, parts: tuple[str, ...]) -> dict[str, Any]:
    """``measure`` in a fresh interpreter, so that RUSAGE_CHILDREN sees only this file's children."""
    command = [sys.executable, "-m", "bench.cad", "--measure", str(path), "--fmt", fmt]
    command += ["--repeat", str(repeat), "--parts", ",".join(parts)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["worker failed"])[-1][:300]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- generated files -----------------------------------------------------------------------

ROOM_NAMES = ("Bedroom", "Kitchen", "Living room", "Bathroom", "Hall", "Office", "Storage")
CELL_W, CELL_D, WALL_T, HEIGHT = 4000.0, 3500.0, 200.0, 2800.0


def synthetic_dxf(path: Path, target_bytes: int) -> dict[str, int]:
    """An R12 DXF of a grid of rooms: wall faces as LINE pairs on A-WALL, closed room outlines on
    A-AREA, a TEXT label per room, a door swing ARC per room. Written as text (ezdxf would be slow)."""
    per_room = 700  # bytes, measured on this generator
    side = max(2, int(math.sqrt(target_bytes / per_room)))
    half = WALL_T / 2
    counts = {"rooms": 0, "wall_faces": 0}
    with path.open("w", encoding="ascii", newline="\n") as fh:
        fh.write("0\nSECTION\n2\nHEADER\n9\n$ACADVER\n1\nAC1009\n9\n$INSUNITS\n70\n4\n0\nENDSEC\n")
        fh.write("0\nSECTION\n2\nENTITIES\n")

        def line(x1: float, y1: float, x2: float, y2: float) -> None:
            fh.write(
                f"0\nLINE\n8\nA-WALL\n10\n{x1:.1f}\n20\n{y1:.1f}\n30\n0.0\n11\n{x2:.1f}\n21\n{y2:.1f}\n31\n0.0\n"
            )
            counts["wall_faces"] += 1

        for i in range(side + 1):
            for j in range(side):
                # A vertical wall at x = i·W from row j to j+1, and a horizontal one at y = j·D.
                x, y0, y1 = i * CELL_W, j * CELL_D + half, (j + 1) * CELL_D - half
                line(x - half, y0, x - half, y1)
                line(x + half, y0, x + half, y1)
                y, x0, x1 = i * CELL_D, j * CELL_W + half, (j + 1) * CELL_W - half
                line(x0, y - half, x1, y - half)
                line(x0, y + half, x1, y + half)
        for i in range(side):
            for j in range(side):
                x0, y0 = i * CELL_W + half, j * CELL_D + half
                x1, y1 = x0 + CELL_W - WALL_T, y0 + CELL_D - WALL_T
                fh.write("0\nPOLYLINE\n8\nA-AREA\n66\n1\n70\n1\n10\n0.0\n20\n0.0\n30\n0.0\n")
                for px, py in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
                    fh.write(f"0\nVERTEX\n8\nA-AREA\n10\n{px:.1f}\n20\n{py:.1f}\n30\n0.0\n")
                fh.write("0\nSEQEND\n8\nA-AREA\n")
                name = f"{ROOM_NAMES[(i + j) % len(ROOM_NAMES)]} {i * side + j + 1}"
                fh.write(f"0\nTEXT\n8\nA-AREA-IDEN\n10\n{x0 + 500:.1f}\n20\n{(y0 + y1) / 2:.1f}\n30\n0.0\n")
                fh.write(f"40\n200.0\n1\n{name}\n")
                fh.write(f"0\nARC\n8\nA-DOOR\n10\n{x0 + 300:.1f}\n20\n{y0 - half:.1f}\n30\n0.0\n")
                fh.write("40\n900.0\n50\n0.0\n51\n90.0\n")
                counts["rooms"] += 1
        fh.write("0\nENDSEC\n0\nEOF\n")
    return counts


_GUID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$"


def _guid(n: int) -> str:
    chars = []
    for _ in range(22):
        n, digit = divmod(n, 64)
        chars.append(_GUID_ALPHABET[digit])
    return "".join(reversed(chars))  # leading zeros: a valid compressed GUID


def synthetic_ifc(path: Path, target_bytes: int) -> dict[str, int]:
    """An IFC4 file of a grid of rooms on one storey (mm, m²): an IfcSpace per room extruded from
    its outline with Qto_SpaceBaseQuantities and Pset_SpaceCommon, two IfcWalls per room with an
    Axis and a Body representation, Qto_WallBaseQuantities and Pset_WallCommon. Written as STEP text."""
    per_room = 4300  # bytes, measured on this generator
    side = max(2, int(math.sqrt(target_bytes / per_room)))
    counts = {"spaces": 0, "walls": 0}
    state = {"id": 100, "guid": 1}

    with path.open("w", encoding="ascii", newline="\n") as fh:

        def put(text: str) -> int:
            state["id"] += 1
            fh.write(f"#{state['id']}={text};\n")
            return state["id"]

        def gid() -> str:
            state["guid"] += 1
            return _guid(state["guid"])

        def relate(element: int, name: str, props: list[int], quantities: bool) -> None:
            if quantities:
                definition = put(f"IFCELEMENTQUANTITY('{gid()}',$,'{name}',$,$,({_refs(props)}))")
            else:
                definition = put(f"IFCPROPERTYSET('{gid()}',$,'{name}',$,({_refs(props)}))")
            put(f"IFCRELDEFINESBYPROPERTIES('{gid()}',$,$,$,(#{element}),#{definition})")

        fh.write(
            "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('ViewDefinition [DesignTransferView]'),'2;1');\n"
            "FILE_NAME('synthetic.ifc','2025-01-01T00:00:00',('bench'),('ArchBuilder'),"
            "'bench.cad','bench.cad','');\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n"
            "#1=IFCCARTESIANPOINT((0.,0.,0.));\n#2=IFCDIRECTION((0.,0.,1.));\n#3=IFCDIRECTION((1.,0.,0.));\n"
            "#4=IFCAXIS2PLACEMENT3D(#1,#2,#3);\n"
            "#5=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#4,$);\n"
            "#6=IFCGEOMETRICREPRESENTATIONSUBCONTEXT('Body','Model',*,*,*,*,#5,$,.MODEL_VIEW.,$);\n"
            "#7=IFCGEOMETRICREPRESENTATIONSUBCONTEXT('Axis','Model',*,*,*,*,#5,$,.GRAPH_VIEW.,$);\n"
            "#8=IFCSIUNIT(*,.LENGTHUNIT.,.MILLI.,.METRE.);\n#9=IFCSIUNIT(*,.AREAUNIT.,$,.SQUARE_METRE.);\n"
            "#10=IFCSIUNIT(*,.VOLUMEUNIT.,$,.CUBIC_METRE.);\n#11=IFCUNITASSIGNMENT((#8,#9,#10));\n"
            f"#12=IFCPROJECT('{_guid(1)}',$,'Synthetic',$,$,$,$,(#5),#11);\n"
            "#13=IFCLOCALPLACEMENT($,#4);\n"
            f"#14=IFCSITE('{_guid(2)}',$,'Site',$,$,#13,$,$,.ELEMENT.,$,$,$,$,$);\n"
            "#15=IFCLOCALPLACEMENT(#13,#4);\n"
            f"#16=IFCBUILDING('{_guid(3)}',$,'Building',$,$,#15,$,$,.ELEMENT.,$,$,$);\n"
            "#17=IFCLOCALPLACEMENT(#15,#4);\n"
            f"#18=IFCBUILDINGSTOREY('{_guid(4)}',$,'Level 0',$,$,#17,$,$,.ELEMENT.,0.);\n"
            f"#19=IFCRELAGGREGATES('{_guid(5)}',$,$,$,#12,(#14));\n"
            f"#20=IFCRELAGGREGATES('{_guid(6)}',$,$,$,#14,(#16));\n"
            f"#21=IFCRELAGGREGATES('{_guid(7)}',$,$,$,#16,(#18));\n"
        )
        state["guid"] = 10
        spaces: list[int] = []
        walls: list[int] = []

        def wall(x: float, y: float, dx: float, dy: float, length: float, tag: str, exterior: bool) -> None:
            origin = put(f"IFCCARTESIANPOINT(({x:.1f},{y:.1f},0.))")
            direction = put(f"IFCDIRECTION(({dx:.1f},{dy:.1f},0.))")
            placement = put(f"IFCLOCALPLACEMENT(#17,IFCAXIS2PLACEMENT3D(#{origin},#2,#{direction}))")
            a = put("IFCCARTESIANPOINT((0.,0.))")
            b = put(f"IFCCARTESIANPOINT(({length:.1f},0.))")
            axis = put(f"IFCSHAPEREPRESENTATION(#7,'Axis','Curve2D',(IFCPOLYLINE((#{a},#{b}))))")
            centre = put(f"IFCAXIS2PLACEMENT2D(IFCCARTESIANPOINT(({length / 2:.1f},0.)),$)")
            profile = put(f"IFCRECTANGLEPROFILEDEF(.AREA.,$,#{centre},{length:.1f},{WALL_T:.1f})")
            solid = put(f"IFCEXTRUDEDAREASOLID(#{profile},$,#2,{HEIGHT:.1f})")
            body = put(f"IFCSHAPEREPRESENTATION(#6,'Body','SweptSolid',(#{solid}))")
            shape = put(f"IFCPRODUCTDEFINITIONSHAPE($,$,(#{axis},#{body}))")
            element = put(
                f"IFCWALL('{gid()}',$,'Basic Wall:200',$,$,#{placement},#{shape},'{tag}',.STANDARD.)"
            )
            quantities = [
                put(f"IFCQUANTITYLENGTH('Length',$,$,{length:.1f},$)"),
                put(f"IFCQUANTITYLENGTH('Width',$,$,{WALL_T:.1f},$)"),
                put(f"IFCQUANTITYLENGTH('Height',$,$,{HEIGHT:.1f},$)"),
                put(f"IFCQUANTITYAREA('NetSideArea',$,$,{length * HEIGHT / 1e6:.3f},$)"),
            ]
            relate(element, "Qto_WallBaseQuantities", quantities, quantities=True)
            flag = ".T." if exterior else ".F."
            props = [
                put(f"IFCPROPERTYSINGLEVALUE('IsExternal',$,IFCBOOLEAN({flag}),$)"),
                put(f"IFCPROPERTYSINGLEVALUE('Reference',$,IFCIDENTIFIER('{tag}'),$)"),
                put("IFCPROPERTYSINGLEVALUE('LoadBearing',$,IFCBOOLEAN(.F.),$)"),
            ]
            relate(element, "Pset_WallCommon", props, quantities=False)
            walls.append(element)
            counts["walls"] += 1

        for i in range(side):
            for j in range(side):
                ox, oy = i * CELL_W, j * CELL_D
                # The room's south and west walls; the grid's far edges get theirs below.
                wall(ox, oy, 1.0, 0.0, CELL_W, f"W{i}-{j}-S", exterior=j == 0)
                wall(ox, oy, 0.0, 1.0, CELL_D, f"W{i}-{j}-W", exterior=i == 0)
                h = WALL_T / 2
                corners = [(ox + h, oy + h), (ox + CELL_W - h, oy + h)]
                corners += [(ox + CELL_W - h, oy + CELL_D - h), (ox + h, oy + CELL_D - h)]
                points = [put(f"IFCCARTESIANPOINT(({px:.1f},{py:.1f}))") for px, py in corners]
                polyline = put(f"IFCPOLYLINE(({_refs([*points, points[0]])}))")
                profile = put(f"IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#{polyline})")
                solid = put(f"IFCEXTRUDEDAREASOLID(#{profile},$,#2,{HEIGHT:.1f})")
                body = put(f"IFCSHAPEREPRESENTATION(#6,'Body','SweptSolid',(#{solid}))")
                shape = put(f"IFCPRODUCTDEFINITIONSHAPE($,$,(#{body}))")
                placement = put("IFCLOCALPLACEMENT(#17,#4)")
                number = f"{i * side + j + 1}"
                name = f"{ROOM_NAMES[(i + j) % len(ROOM_NAMES)]} {number}"
                element = put(
                    f"IFCSPACE('{gid()}',$,'{number}',$,$,#{placement},#{shape},'{name}',.ELEMENT.,.INTERNAL.,$)"
                )
                area = (CELL_W - WALL_T) * (CELL_D - WALL_T) / 1e6
                perimeter = 2 * (CELL_W + CELL_D - 2 * WALL_T)
                quantities = [
                    put(f"IFCQUANTITYAREA('NetFloorArea',$,$,{area:.3f},$)"),
                    put(f"IFCQUANTITYAREA('GrossFloorArea',$,$,{area:.3f},$)"),
                    put(f"IFCQUANTITYLENGTH('Height',$,$,{HEIGHT:.1f},$)"),
                    put(f"IFCQUANTITYLENGTH('GrossPerimeter',$,$,{perimeter:.1f},$)"),
                ]
                relate(element, "Qto_SpaceBaseQuantities", quantities, quantities=True)
                props = [put(f"IFCPROPERTYSINGLEVALUE('Reference',$,IFCIDENTIFIER('{number}'),$)")]
                relate(element, "Pset_SpaceCommon", props, quantities=False)
                spaces.append(element)
                counts["spaces"] += 1
        for i in range(side):  # the north and east edges of the grid
            wall(i * CELL_W, side * CELL_D, 1.0, 0.0, CELL_W, f"W{i}-N", exterior=True)
            wall(side * CELL_W, i * CELL_D, 0.0, 1.0, CELL_D, f"W{i}-E", exterior=True)
        put(f"IFCRELAGGREGATES('{gid()}',$,$,$,#18,({_refs(spaces)}))")
        put(f"IFCRELCONTAINEDINSPATIALSTRUCTURE('{gid()}',$,$,$,({_refs(walls)}),#18)")
        fh.write("ENDSEC;\nEND-ISO-10303-21;\n")
    return counts


def _refs(ids: list[int]) -> str:
    return ",".join(f"#{n}" for n in ids)


def _floor_file(folder: Path, fmt: str) -> Path:
    """A near-empty file of the format: what the child pays before the file's content matters."""
    path = folder / f"floor.{fmt}"
    if fmt == "dxf":
        synthetic_dxf(path, 1)
    elif fmt == "ifc":
        synthetic_ifc(path, 1)
    else:
        raise ValueError(fmt)
    return path


# --- end to end through the embedded runtime -------------------------------------------------


def end_to_end(path: Path) -> dict[str, Any]:
    """Upload URL → PUT → Storage event → cad_ingest → model, on a throw-away embedded runtime."""
    import hashlib

    from archbuilder.adapters.local.inprocess_bus import InProcessEventBus
    from archbuilder.devserver import create_app
    from archbuilder.domain.common import CodeRegion, DataRegion, Language
    from archbuilder.platform.settings import Environment, Settings
    from archbuilder.runtime import build_local_runtime, set_runtime
    from archbuilder.services.identity import create_tenant

    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as folder:
        settings = Settings(env=Environment.test, data_dir=Path(folder), _env_file=None)
        runtime = build_local_runtime(settings)
        set_runtime(runtime)
        try:
            _, key = create_tenant(
                runtime.store, name="Bench", data_region=DataRegion.eu, code_region=CodeRegion.TR,
                language=Language.en, plan="professional",
            )  # fmt: skip
            headers = {"X-API-Key": key.api_key}
            client = create_app().test_client()
            project = (client.post("/v1/projects", json={"name": "Bench"}, headers=headers).json or {})["id"]
            data = path.read_bytes()
            start = time.perf_counter()
            started = client.post(
                f"/v1/projects/{project}/uploads",
                headers=headers,
                json={
                    "filename": path.name,
                    "size_bytes": len(data),
                    "content_type": "application/octet-stream",
                    "sha256": hashlib.sha256(data).hexdigest(),
                },
            )
            upload: dict[str, Any] = started.json or {}
            if started.status_code != 201:
                return {"status": f"upload refused: {upload}"}
            url = upload["upload_url"].split("://", 1)[-1].split("/", 1)[1]
            put = client.put("/" + url, data=data, headers=upload["headers"])
            if put.status_code != 200:
                return {"status": f"PUT refused: {put.json}"}
            assert isinstance(runtime.bus, InProcessEventBus)
            runtime.bus.drain(timeout=settings.parse_timeout_s + 120)
            seconds = time.perf_counter() - start
            model: dict[str, Any] = (
                client.get(f"/v1/projects/{project}/models/{upload['model_id']}", headers=headers).json or {}
            )
            runtime.bus.close()
        finally:
            set_runtime(None)
    return {
        "status": model["status"],
        "seconds": seconds,
        "stats": model.get("stats"),
        "error": (model.get("error") or {}).get("message"),
        "compliance": (model.get("compliance") or {}).get("summary"),
    }


# --- the report -------------------------------------------------------------------------------


def _real_files() -> list[tuple[Path, str]]:
    return [
        (p, folder) for folder in FOLDERS for p in sorted((SHARED_DATA / folder).iterdir()) if p.is_file()
    ]


def _row(name: str, r: dict[str, Any], floor: float | None) -> str:
    if "error" in r:
        return f"{name:38} FAILED: {r['error']}"
    size = r["bytes"]
    head = (
        f"{name:38} {size / MB:7.2f} {r['bare_s'] * 1e3:8.0f} {r['reader_s'] * 1e3:8.0f} "
        f"{r['pipeline_s'] * 1e3:8.0f}"
    )
    if "pipeline_error" in r:
        return (
            f"{head}  pipeline refused: {r['pipeline_error']}, "
            f"sandbox child peak {r['peak_bytes'] / MB:.0f} MB"
        )
    ratio = r["pipeline_s"] / r["bare_s"]
    peak, bare_peak = r["peak_bytes"], r["bare_peak_bytes"]
    above = f"{(peak - floor) / size:7.1f}" if floor else "      –"
    return (
        f"{head} {r['first_s'] * 1e3:8.0f} {ratio:6.2f} {(ratio - 1) * 100:+8.0f}% "
        f"{bare_peak / MB:7.0f} {peak / MB:7.0f} {peak / bare_peak:6.2f} {peak / size:7.1f} {above}"
    )


HEADER = (
    f"{'file':38} {'MB':>7} {'bare ms':>8} {'read ms':>8} {'pipe ms':>8} {'first ms':>8} {'ratio':>6} "
    f"{'overhead':>9} {'bare MB':>7} {'peak MB':>7} {'×bare':>6} {'×size':>7} {'×size>fl':>7}"
)


def report(repeat: int, quick: bool) -> int:
    print(__doc__.split("\n\n")[0])
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {repeat} runs per file\n")
    misses: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-cad-") as folder:
        tmp = Path(folder)
        floors: dict[str, float] = {}
        for fmt in ("dxf", "ifc"):
            floor = _in_worker(_floor_file(tmp, fmt), fmt, 1, ("pipeline",))
            floors[fmt] = float(floor.get("peak_bytes", 0))
        floors["dwg"] = floors["dxf"]  # the DWG child is the DXF child plus ezdwg
        print(
            "sandbox child floor (peak RSS for a near-empty file): "
            + ", ".join(f"{k.upper()} {v / MB:.0f} MB" for k, v in floors.items())
            + "\n"
        )
        print(HEADER)
        totals = {fmt: {"bytes": 0, "bare": 0.0, "pipe": 0.0, "read": 0.0} for fmt in FOLDERS}
        for path, fmt in _real_files():
            r = _in_worker(path, fmt, repeat, ("bare", "reader", "pipeline"))
            r.update(_in_worker(path, fmt, 1, ("bare_peak",)))
            print(_row(path.name, r, floors[fmt]), flush=True)
            if "error" in r or "pipeline_error" in r:
                misses.append(f"{path.name} failed")
                continue
            t = totals[fmt]
            t["bytes"] += r["bytes"]
            t["bare"] += r["bare_s"]
            t["pipe"] += r["pipeline_s"]
            t["read"] += r["reader_s"]
        print("\nthroughput over all real files of a format (MB/s) and the pipeline's overhead:")
        for fmt, t in totals.items():
            if not t["bare"]:
                continue
            overhead = t["pipe"] / t["bare"] - 1
            print(
                f"  {fmt.upper():4} bare {t['bytes'] / MB / t['bare']:6.2f}  reader {t['bytes'] / MB / t['read']:6.2f}"
                f"  pipeline {t['bytes'] / MB / t['pipe']:6.2f}  ratio {t['pipe'] / t['bare']:5.2f}"
                f"  overhead {overhead * 100:+.0f} % (of which sandbox + sniff"
                f" {(t['pipe'] - t['read']) / t['bare'] * 100:+.0f} %, reader beyond the parse"
                f" {(t['read'] - t['bare']) / t['bare'] * 100:+.0f} %)"
            )
            if overhead > OVERHEAD_TARGET:
                misses.append(
                    f"{fmt.upper()} overhead {overhead * 100:.0f} % > {OVERHEAD_TARGET * 100:.0f} %"
                )

        if not quick:
            print("\ngenerated files, one run each, under the function's limits:")
            print(HEADER)
            for fmt, target, make in (
                ("dxf", 20 * MB, synthetic_dxf),
                ("ifc", 50 * MB, synthetic_ifc),
            ):
                path = tmp / f"generated.{fmt}"
                made = make(path, target)
                r = _in_worker(path, fmt, 1, ("bare", "reader", "pipeline"))
                r.update(_in_worker(path, fmt, 1, ("bare_peak",)))
                print(_row(path.name, r, floors[fmt]) + f"   {made}", flush=True)
                if "error" in r or "pipeline_error" in r:
                    misses.append(f"generated {fmt.upper()}: {r.get('error') or r['pipeline_error']}")
                    continue
                print(f"  read: {r['stats']}; limits {r['limits']}")
                peak_ratio = r["peak_bytes"] / r["bytes"]
                ratio = r["pipeline_s"] / r["bare_s"] - 1
                if peak_ratio > PEAK_TARGET:
                    misses.append(
                        f"generated {fmt.upper()} peak {peak_ratio:.1f} × size > {PEAK_TARGET:.0f} ×"
                        f" (the bare parse alone: {r['bare_peak_bytes'] / r['bytes']:.1f} ×)"
                    )
                if ratio > OVERHEAD_TARGET:
                    misses.append(f"generated {fmt.upper()} overhead {ratio * 100:.0f} % > 25 %")
                e2e = end_to_end(path)
                print(f"  end to end: {e2e}", flush=True)
                if e2e["status"] != "ready":
                    misses.append(f"generated {fmt.upper()} end to end: {e2e['status']} {e2e.get('error')}")
    print()
    if misses:
        print("targets missed:")
        for miss in misses:
            print(f"  - {miss}")
    else:
        print("all targets met")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cad", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per real file (median)")
    parser.add_argument("--quick", action="store_true", help="skip the generated 20 MB DXF and 50 MB IFC")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--fmt", help=argparse.SUPPRESS)
    parser.add_argument("--parts", default="bare,reader,pipeline", help=argparse.SUPPRESS)
    parser.add_argument("--generate", choices=("dxf", "ifc"), help="write one generated file and exit")
    parser.add_argument("--mb", type=float, default=None, help="size of --generate in MB")
    parser.add_argument("--out", help="path of --generate")
    args = parser.parse_args(argv)
    if args.generate:
        make = synthetic_dxf if args.generate == "dxf" else synthetic_ifc
        size = args.mb if args.mb is not None else (20 if args.generate == "dxf" else 50)
        print(make(Path(args.out or f"generated.{args.generate}"), int(size * MB)))
        return 0
    if args.measure:
        result = measure(Path(args.measure), args.fmt, args.repeat, parts=tuple(args.parts.split(",")))
        print(json.dumps(result))
        return 0
    return report(args.repeat, args.quick)


if __name__ == "__main__":  # the sandbox child is spawned: this module must not run on import
    raise SystemExit(main())
