"""Existing-project analysis (issue 19): what an uploaded model's problems are, how heavy it
is, its area schedule and what to fix first, as JSON, a self-contained HTML report and BCF 2.1.

``ifc_facts`` runs in the CAD sandbox beside the IFC reader (one parse); ``analyse`` runs at
ingestion on the model and those facts and is stored next to the model; ``wording``,
``html_report`` and ``bcf_export`` turn the stored analysis into what a reader asks for, in
their language.
"""
