/**
 * The SDK against the real API (the dev server): tests/sdk/test_typescript_sdk.py starts it,
 * creates a tenant and runs `npm test` with ARCHBUILDER_BASE_URL, ARCHBUILDER_API_KEY and
 * ARCHBUILDER_SHARED_DATA set. Without them these tests are skipped, unless
 * ARCHBUILDER_SDK_REQUIRE_SERVER=1 (the wrapper sets it), which fails them instead.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";

import { ArchBuilderClient, ArchBuilderError, type Brief, type Job } from "@archbuilder/sdk";
import { readCadFile } from "@archbuilder/sdk/node";

const BASE_URL = process.env.ARCHBUILDER_BASE_URL;
const API_KEY = process.env.ARCHBUILDER_API_KEY;
const SHARED_DATA = process.env.ARCHBUILDER_SHARED_DATA ?? join(process.cwd(), "..", "..", "..", "shared", "data");
const configured = BASE_URL !== undefined && API_KEY !== undefined;
if (!configured && process.env.ARCHBUILDER_SDK_REQUIRE_SERVER === "1") {
  throw new Error("ARCHBUILDER_BASE_URL and ARCHBUILDER_API_KEY must be set");
}
const skip = configured ? false : "no API: set ARCHBUILDER_BASE_URL and ARCHBUILDER_API_KEY (see tests/sdk/test_typescript_sdk.py)";

/** A client; `requests` collects "METHOD path" of every request it sends. */
function client(requests: string[] = []): ArchBuilderClient {
  const recording: typeof fetch = (input, init) => {
    requests.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
    return fetch(input, init);
  };
  return new ArchBuilderClient({ baseUrl: BASE_URL ?? "", apiKey: API_KEY ?? "", language: "en", fetch: recording });
}

const BRIEF: Brief = {
  building_type: "apartment",
  footprint: { width_mm: 12000, depth_mm: 9000 },
  rooms: [
    { type: "living_room", name: "Salon", target_area_m2: 25 },
    { type: "kitchen" },
    { type: "bedroom", count: 2 },
    { type: "bathroom" },
    { type: "wc" },
    { type: "hall" },
  ],
  entrance: { side: "south" },
  level_height_mm: 2800,
};

test("projects: create, get, update", { skip }, async () => {
  const api = client();
  const created = await api.createProject({ name: "SDK Moda", code_region: "TR", language: "tr", units: "metric" });
  assert.match(created.id, /^[A-Za-z0-9_-]+$/);
  assert.equal(created.name, "SDK Moda");
  const read = await api.getProject(created.id);
  assert.deepEqual(read, created);
  const renamed = await api.updateProject(created.id, { name: "SDK Moda 2" });
  assert.equal(renamed.name, "SDK Moda 2");
  // The generic typed call reaches the same operation.
  const same = await api.call("get", "/v1/projects/{project_id}", { path: { project_id: created.id } });
  assert.equal(same.name, "SDK Moda 2");
  await api.deleteProject(created.id);
  await assert.rejects(api.getProject(created.id), { status: 404, code: "NOT_FOUND" });
});

test("paging: every project once, over several pages", { skip }, async () => {
  const api = client();
  const made: string[] = [];
  for (let i = 0; i < 5; i++) made.push((await api.createProject({ name: `SDK page ${i}` })).id);
  const ids: string[] = [];
  for await (const project of api.listProjects({ pageSize: 2 })) ids.push(project.id);
  assert.equal(new Set(ids).size, ids.length, "no project twice");
  for (const id of made) assert.ok(ids.includes(id), `${id} listed`);
  // Newest first: the five just made lead, in reverse order of creation.
  assert.deepEqual(ids.slice(0, 5), [...made].reverse());
  let pages = 0;
  for await (const page of api.pages("/v1/projects", { query: { page_size: 2 } })) {
    pages++;
    assert.ok(page.items.length <= 2);
  }
  assert.equal(pages, Math.ceil(ids.length / 2));
});

test("brief → job → version, then the DXF export", { skip }, async () => {
  const requests: string[] = [];
  const api = client(requests);
  const project = await api.createProject({ name: "SDK brief" });
  const accepted = await api.submitBrief(project.id, BRIEF, { correlationId: "sdk-ts-brief" });
  assert.ok(accepted.job_id && accepted.layout_id);

  // Server-Sent Events.
  const states: Job[] = [];
  const job = await api.waitForJob(accepted.job_id, { onProgress: (j) => states.push(j), timeoutMs: 120_000 });
  assert.equal(job.status, "succeeded");
  assert.deepEqual(job.result, { layout_id: accepted.layout_id, version: 1 });
  assert.ok(states.length >= 1 && states.at(-1)?.status === "succeeded");
  // One event stream, no polling.
  assert.deepEqual(requests.slice(-1), [`GET /v1/jobs/${accepted.job_id}/events`]);
  // Polling reads the same finished job.
  const polled = await api.waitForJob(accepted.job_id, { events: false });
  assert.equal(polled.status, "succeeded");

  const layout = await api.getLayout(project.id, accepted.layout_id);
  assert.deepEqual(
    (layout.versions ?? []).map((v) => v.version),
    [1],
  );
  const version = await api.getVersion(project.id, accepted.layout_id, 1);
  const payload = version.payload;
  assert.equal(payload.rooms.length, 7);
  const walls = new Set(payload.walls.map((w) => w.id));
  for (const opening of [...payload.doors, ...payload.windows]) assert.ok(walls.has(opening.host_wall_id));

  const dxf = await api.exportVersion(project.id, accepted.layout_id, 1, "dxf");
  assert.ok(dxf instanceof Uint8Array && dxf.byteLength > 1000);
  const text = new TextDecoder().decode(dxf);
  assert.match(text, /^\s*0\s*\r?\nSECTION/);
  assert.match(text, /ENTITIES/);
  assert.match(text, /A-WALL/);
  assert.match(text, /EOF\s*$/);
  const json = JSON.parse(new TextDecoder().decode(await api.exportVersion(project.id, accepted.layout_id, 1, "json")));
  assert.deepEqual(json, payload);

  // The layout is listed.
  const listed = [];
  for await (const item of api.listLayouts(project.id)) listed.push(item.id);
  assert.deepEqual(listed, [accepted.layout_id]);
});

test("an explicit Idempotency-Key replays the first answer", { skip }, async () => {
  const api = client();
  const project = await api.createProject({ name: "SDK idempotency" });
  const key = `sdk-ts-${Date.now()}`;
  const first = await api.submitBrief(project.id, BRIEF, { idempotencyKey: key });
  const again = await api.submitBrief(project.id, BRIEF, { idempotencyKey: key });
  assert.equal(again.job_id, first.job_id);
  assert.equal(again.layout_id, first.layout_id);
  // Another body under the same key is refused.
  await assert.rejects(api.submitBrief(project.id, { ...BRIEF, level_height_mm: 3000 }, { idempotencyKey: key }), {
    status: 409,
    code: "IDEMPOTENCY_KEY_REUSED",
  });
  await api.waitForJob(first.job_id);
});

test("upload a real IFC file: hash, upload URL, PUT, ingestion, model", { skip }, async () => {
  const api = client();
  const project = await api.createProject({ name: "SDK upload" });
  const path = join(SHARED_DATA, "ifc", "IfcOpenHouse_IFC4.ifc");
  // The browser path: bytes only, SHA-256 by WebCrypto.
  const data = new Uint8Array(await readFile(path));
  const progress: string[] = [];
  const result = await api.uploadModel(
    project.id,
    { filename: "IfcOpenHouse_IFC4.ifc", data },
    { onProgress: (j) => progress.push(j.stage), timeoutMs: 180_000 },
  );
  assert.equal(result.job?.status, "succeeded");
  assert.equal(result.job?.kind, "cad_ingest");
  const model = result.model;
  assert.ok(model);
  assert.equal(model.id, result.upload.model_id);
  assert.equal(model.status, "ready");
  assert.equal(model.format, "ifc");
  assert.equal(model.schema, "IFC4");
  assert.equal(model.stats?.levels, 1);
  assert.ok((model.walls ?? []).length >= 4);
  assert.ok(progress.length >= 1);

  // The Node helper: the same file read from disk, hashed by node:crypto; no waiting.
  const file = await readCadFile(path);
  const { createHash } = await import("node:crypto");
  assert.equal(file.sha256, createHash("sha256").update(data).digest("hex"));
  const started = await api.uploadModel(project.id, file, { wait: false });
  assert.equal(started.model, undefined);
  const job = await api.waitForJob(started.upload.job_id, { timeoutMs: 180_000 });
  assert.equal(job.status, "succeeded");
  assert.equal((await api.getModel(project.id, started.upload.model_id)).status, "ready");
});

test("upload of a file whose hash does not match is refused at the PUT", { skip }, async () => {
  const api = client();
  const project = await api.createProject({ name: "SDK bad hash" });
  const data = new TextEncoder().encode("0\nSECTION\n2\nENTITIES\n0\nENDSEC\n0\nEOF\n");
  await assert.rejects(
    api.uploadModel(project.id, { filename: "tiny.dxf", data, sha256: "0".repeat(64) }, { wait: false }),
    (error: unknown) => {
      assert.ok(error instanceof ArchBuilderError);
      assert.ok(error.status >= 400 && error.status < 500, String(error.status));
      return true;
    },
  );
});

test("errors carry status, code, message and correlation id", { skip }, async () => {
  const api = client();
  await assert.rejects(api.getProject("prj_does_not_exist", { correlationId: "sdk-ts-404" }), (error: unknown) => {
    assert.ok(error instanceof ArchBuilderError);
    assert.equal(error.status, 404);
    assert.equal(error.code, "NOT_FOUND");
    assert.equal(error.correlationId, "sdk-ts-404");
    assert.match(error.message, /prj_does_not_exist/);
    return true;
  });
  // A server-made correlation id when none is sent.
  await assert.rejects(api.getJob("job_nope"), (error: unknown) => {
    assert.ok(error instanceof ArchBuilderError && error.status === 404);
    assert.match(error.correlationId ?? "", /^[0-9a-f]{32}$/);
    return true;
  });
  // Validation: 422 with the fields in the details.
  const project = await api.createProject({ name: "SDK errors" });
  await assert.rejects(
    api.submitBrief(project.id, { ...BRIEF, footprint: { width_mm: 6000, depth_mm: 5000 }, rooms: [{ type: "bedroom", count: 8 }] }),
    { status: 422, code: "PROGRAMME_TOO_LARGE" },
  );
  // A wrong key.
  const stranger = new ArchBuilderClient({ baseUrl: BASE_URL ?? "", apiKey: "ab_live_nope" });
  await assert.rejects(stranger.getProject(project.id), { status: 401, code: "UNAUTHENTICATED" });
  await assert.rejects(stranger.waitForJob("job_nope"), { status: 401, code: "UNAUTHENTICATED" });
});
