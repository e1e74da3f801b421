#!/usr/bin/env node
// What web-ifc (an IFC reader independent of ifcopenshell) reads in an IFC file, as JSON on stdout:
// the header's FILE_NAME and schema, and the names of every IfcSpace, IfcDoor, IfcWindow and
// IfcWall (subtypes included). Used by tests/unit/cad/test_export_round_trip.py.
//
//   node tools/node/ifc_summary.cjs path/to/file.ifc
"use strict";

const fs = require("node:fs");
const WebIFC = require("web-ifc");

const CLASSES = { IfcSpace: WebIFC.IFCSPACE, IfcDoor: WebIFC.IFCDOOR, IfcWindow: WebIFC.IFCWINDOW, IfcWall: WebIFC.IFCWALL };
const FILE_NAME_FIELDS = [
  "name", "time_stamp", "author", "organization", "preprocessor_version", "originating_system", "authorization",
];

// A header or attribute value as plain JSON: {type, value} objects to their value, lists kept.
function plain(value) {
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object" && "value" in value) return value.value;
  return value ?? null;
}

async function main() {
  const path = process.argv[2];
  if (!path) throw new Error("usage: ifc_summary.cjs FILE.ifc");
  const api = new WebIFC.IfcAPI();
  await api.Init(undefined, true); // single-threaded: no worker files to find
  const model = api.OpenModel(new Uint8Array(fs.readFileSync(path)));
  const fileName = api.GetHeaderLine(model, WebIFC.FILE_NAME).arguments.map(plain);
  const summary = {
    schema: api.GetModelSchema(model),
    file_name: Object.fromEntries(FILE_NAME_FIELDS.map((field, i) => [field, fileName[i] ?? null])),
  };
  for (const [name, type] of Object.entries(CLASSES)) {
    const ids = api.GetLineIDsWithType(model, type, true);
    const elements = [];
    for (let i = 0; i < ids.size(); i++) {
      const line = api.GetLine(model, ids.get(i));
      elements.push({ name: plain(line.Name), long_name: plain(line.LongName), tag: plain(line.Tag) });
    }
    summary[name] = elements;
  }
  api.CloseModel(model);
  process.stdout.write(JSON.stringify(summary) + "\n");
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
