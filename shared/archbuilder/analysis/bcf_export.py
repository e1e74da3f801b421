"""The analysis's findings as a BCF 2.1 file (bcf-client, the IfcOpenShell family's BCF library).

One topic per finding, in the reader's language; its elements as the viewpoint's selected
components (by IfcGuid), the camera aimed at the finding's location or at the middle of the
model. Revit's BCF manager, Solibri and BIMcollab open it. DXF handles are not IFC GUIDs:
a DXF or DWG model's topics carry no components, only the text and the camera.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from archbuilder.analysis.report import Finding, ModelAnalysis
from archbuilder.analysis.wording import label, worded
from archbuilder.domain.building import BuildingModel

AUTHOR = "archbuilder@analysis"
_TOPIC_TYPE = {"error": "Error", "warning": "Warning", "info": "Info"}
_PRIORITY = {"error": "Critical", "warning": "Major", "info": "Minor"}


def analysis_bcf(analysis: ModelAnalysis, model: BuildingModel, language: str, project_name: str) -> bytes:
    """The BCF 2.1 zip of ``analysis`` (findings worded in ``language``)."""
    import numpy as np
    from bcf.v2 import model as mdl
    from bcf.v2.bcfxml import BcfXml
    from bcf.v2.visinfo import VisualizationInfoHandler

    words = worded(analysis, language)
    centre = _centre(model)
    ifc = model.source.format == "ifc"
    bcf = BcfXml.create_new(project_name)
    for finding in words.findings:
        title = f"{finding.id} {label(finding.severity, language)}: {finding.message or finding.code}"[:250]
        topic = bcf.add_topic(
            title=title,
            description=_description(finding),
            author=AUTHOR,
            topic_type=_TOPIC_TYPE[finding.severity],
            topic_status="Open",
        )
        topic.topic.priority = _PRIORITY[finding.severity]
        topic.topic.labels.append(finding.category)
        where = finding.location
        target = np.array([where.x / 1000, where.y / 1000, where.z / 1000]) if where else centre
        guids = [e.ref for e in finding.elements if ifc and _is_guid(e.ref)]
        viewpoint = VisualizationInfoHandler.create_from_point_and_guids(target, *guids)
        components = viewpoint.visualization_info.components
        if not guids and components is not None:
            components.selection = None  # the XSD wants no Selection rather than an empty one
        name = f"viewpoint-{viewpoint.guid}.bcfv"
        topic.viewpoints[name] = viewpoint
        markup = topic.markup
        assert markup is not None
        markup.viewpoints.append(mdl.ViewPoint(guid=viewpoint.guid, viewpoint=name))
    with tempfile.TemporaryDirectory(prefix="bcf-") as folder:
        path = Path(folder) / "analysis.bcf"
        bcf.save(path)
        return path.read_bytes()


def _description(finding: Finding) -> str:
    names = ", ".join(f"{e.ref}{' ' + e.name if e.name else ''}" for e in finding.elements[:20])
    more = f" (+{finding.count - 20})" if finding.count > 20 and len(finding.elements) >= 20 else ""
    return f"{finding.message or finding.code}\n{names}{more}".strip()


def _centre(model: BuildingModel) -> Any:
    import numpy as np

    xs = [p.x for s in model.spaces for p in s.boundary] or [w.start.x for w in model.walls] or [0.0]
    ys = [p.y for s in model.spaces for p in s.boundary] or [w.start.y for w in model.walls] or [0.0]
    return np.array([(min(xs) + max(xs)) / 2000, (min(ys) + max(ys)) / 2000, 0.0])


def _is_guid(ref: str) -> bool:
    """An IFC GlobalId: 22 characters of the IFC base-64 alphabet."""
    return len(ref) == 22 and all(c.isalnum() or c in "_$" for c in ref)
