"""DWG → DXF → BuildingModel.

The DWG is converted to DXF with ezdwg (a PyPI package with a Rust core: reads R13 to
2018, AC1012–AC1032, offline) and the DXF is read by ``dxf_reader`` with the DWG's own
``$INSUNITS``. A DWG version ezdwg cannot read, or a server without ezdwg, fails the
upload with a coded error that names the alternative (export DXF or IFC).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from archbuilder.cad.dxf_reader import LayerNames, read_dxf
from archbuilder.cad.notices import notice, set_notices
from archbuilder.domain.building import BuildingModel
from archbuilder.platform.errors import Unprocessable

# What ezdwg 0.17 reads: R13, R14, 2000, 2004, 2007, 2010, 2013, 2018.
READABLE_VERSIONS = ("AC1012", "AC1014", "AC1015", "AC1018", "AC1021", "AC1024", "AC1027", "AC1032")


def dwg_version(path: str | Path) -> str:
    """The version tag of a DWG file's first six bytes (``AC1032``)."""
    with open(path, "rb") as fh:
        return fh.read(6).decode("ascii", errors="replace")


def converter_available() -> bool:
    try:
        import ezdwg  # noqa: F401
    except ImportError:
        return False
    return True


def read_dwg(path: str | Path, *, layers: LayerNames | None = None) -> BuildingModel:
    """The building model of one DWG file."""
    version = dwg_version(path)
    if version not in READABLE_VERSIONS:
        raise Unprocessable(code="DWG_VERSION_UNSUPPORTED", version=version)
    try:
        import ezdwg
    except ImportError as exc:
        raise Unprocessable(code="DWG_CONVERTER_UNAVAILABLE") from exc
    try:
        document = ezdwg.read(str(path))
        insunits = document.insunits
        with tempfile.TemporaryDirectory(prefix="dwg-") as folder:
            dxf_path = Path(folder) / "converted.dxf"
            result = ezdwg.to_dxf(document, str(dxf_path))
            model = read_dxf(
                dxf_path, layers=layers, declared_insunits=insunits, source_format="dwg", version=version
            )
    except Unprocessable:
        raise
    except Exception as exc:  # noqa: BLE001 - the converter's own errors: one coded error, the text logged
        raise Unprocessable(code="CAD_PARSE_FAILED", format="DWG") from exc
    notices = list(model.notices)
    if result.skipped_entities:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(result.skipped_by_type.items()))
        notices.append(notice("dwg_skipped", count=result.skipped_entities, kinds=kinds))
    if result.total_entities < 20 and not model.walls:
        notices.append(notice("dwg_custom_objects"))
    return set_notices(model, notices)
