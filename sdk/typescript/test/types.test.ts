/**
 * Compile-time checks of the typed surface (tsc fails the build when one breaks); the test only
 * makes sure the file ran. Nothing here sends a request.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import type { ArchBuilderClient, Brief, Job, PagedPaths, Project } from "@archbuilder/sdk";

// Never called: the point is what compiles.
async function typed(client: ArchBuilderClient): Promise<void> {
  const project: Project = await client.call("get", "/v1/projects/{project_id}", { path: { project_id: "p" } });
  const name: string = project.name;
  const job: Job = await client.getJob("j");
  const status: "queued" | "running" | "succeeded" | "failed" | "cancelled" = job.status;
  const page = await client.call("get", "/v1/projects", { query: { page_size: 10 } });
  const first: Project | undefined = page.items[0];
  await client.call("get", "/v1/health");
  const version = await client.getVersion("p", "l", 1);
  const wallIds: string[] = version.payload.walls.map((w) => w.id);
  const paged: PagedPaths = "/v1/audit-log";
  const brief: Brief = { footprint: { width_mm: 10000, depth_mm: 8000 }, rooms: [{ type: "kitchen" }] };

  // @ts-expect-error: path parameters are required
  await client.call("get", "/v1/projects/{project_id}");
  // @ts-expect-error: no such operation
  await client.call("put", "/v1/projects");
  // @ts-expect-error: the body's type comes from the document
  await client.createProject({ title: "no name" });
  // @ts-expect-error: unknown query parameter
  await client.call("get", "/v1/projects", { query: { size: 10 } });
  // @ts-expect-error: not a paged list
  const notPaged: PagedPaths = "/v1/health";
  // @ts-expect-error: an export format the API does not have
  await client.exportVersion("p", "l", 1, "pdf");
  void [name, status, first, wallIds, paged, brief, notPaged];
}

test("the typed surface compiles", () => {
  assert.equal(typeof typed, "function");
});
