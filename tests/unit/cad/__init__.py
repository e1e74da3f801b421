"""Tests of the CAD readers, the sandbox and the IFC writer on real third-party files."""
