/**
 * Node-only helpers (`@archbuilder/sdk/node`): reading a CAD file from disk for
 * {@link ArchBuilderClient.uploadModel}. The client itself needs none of this.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";

import type { CadFile } from "./client.js";

/**
 * A CAD file (DWG, DXF, IFC) read from `path`, with its SHA-256 computed by node:crypto (so
 * that an upload works on Node 18, which has no global WebCrypto without a flag).
 */
export async function readCadFile(path: string, filename: string = basename(path)): Promise<CadFile & { data: Uint8Array; sha256: string }> {
  const data = new Uint8Array(await readFile(path));
  return {
    filename,
    data,
    contentType: "application/octet-stream",
    sha256: createHash("sha256").update(data).digest("hex"),
  };
}
