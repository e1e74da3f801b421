/**
 * The transport against a loopback server on 127.0.0.1: retries on 429/503 honouring
 * Retry-After (bounded in count and in wait), idempotency keys, errors, auth headers, the
 * event stream and its polling fallback. Every server here answers a bounded number of requests.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { ArchBuilderClient, ArchBuilderError, JobFailedError, readEvents, sha256Hex } from "@archbuilder/sdk";

import { apiError, job, json, loopback } from "./loopback.js";

const PROJECT = {
  id: "prj_1",
  name: "Loopback",
  code_region: "TR",
  language: "en",
  units: "metric",
  description: null,
  created_at: "2026-01-01T00:00:00.000000Z",
  updated_at: "2026-01-01T00:00:00.000000Z",
};

test("a 429 is retried after Retry-After, with the same Idempotency-Key", async () => {
  const server = await loopback((_, response, index) => {
    if (index < 2) apiError(response, 429, "RATE_LIMITED", `corr-${index}`, { "Retry-After": "1" });
    else json(response, 201, PROJECT);
  });
  try {
    const client = new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "ab_test_key" });
    const started = Date.now();
    const project = await client.createProject({ name: "Loopback" });
    assert.equal(project.id, "prj_1");
    assert.equal(server.seen.length, 3);
    const [first, second, third] = server.seen;
    assert.ok(first && second && third);
    // Retry-After: 1 honoured twice.
    assert.ok(second.at - first.at >= 950, `waited ${second.at - first.at} ms`);
    assert.ok(third.at - second.at >= 950, `waited ${third.at - second.at} ms`);
    assert.ok(Date.now() - started < 10_000);
    const keys = server.seen.map((s) => s.headers["idempotency-key"]);
    assert.match(String(keys[0]), /^[0-9a-f-]{36}$/);
    assert.deepEqual(new Set(keys).size, 1, "one key for the call, kept across its retries");
    assert.equal(first.headers["x-api-key"], "ab_test_key");
    assert.equal(first.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(first.body), { name: "Loopback" });
    // A second call gets a new key.
    server.seen.length = 0;
    await client.createProject({ name: "Again" });
    assert.notEqual(server.seen[0]?.headers["idempotency-key"], keys[0]);
  } finally {
    await server.close();
  }
});

test("retries are bounded: the last 429 is thrown with its code, correlation id and Retry-After", async () => {
  const server = await loopback((_, response, index) =>
    apiError(response, 429, "RATE_LIMITED", `corr-${index}`, { "Retry-After": "0" }),
  );
  try {
    const client = new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "k", maxRetries: 2 });
    await assert.rejects(client.getProject("prj_1"), (error: unknown) => {
      assert.ok(error instanceof ArchBuilderError);
      assert.equal(error.status, 429);
      assert.equal(error.code, "RATE_LIMITED");
      assert.equal(error.correlationId, "corr-2");
      assert.equal(error.retryAfterMs, 0);
      assert.deepEqual(error.details, { why: "test" });
      return true;
    });
    assert.equal(server.seen.length, 3, "1 attempt + maxRetries");
  } finally {
    await server.close();
  }
});

test("a Retry-After longer than maxRetryDelayMs is not waited for", async () => {
  const server = await loopback((_, response) => apiError(response, 429, "RATE_LIMITED", "c", { "Retry-After": "3600" }));
  try {
    const client = new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "k", maxRetryDelayMs: 2_000 });
    const started = Date.now();
    await assert.rejects(client.getProject("prj_1"), (error: unknown) => {
      assert.ok(error instanceof ArchBuilderError && error.status === 429 && error.retryAfterMs === 3_600_000);
      return true;
    });
    assert.equal(server.seen.length, 1);
    assert.ok(Date.now() - started < 1_000);
  } finally {
    await server.close();
  }
});

test("a 503 without Retry-After is retried with backoff; other errors are not retried", async () => {
  const server = await loopback((request, response, index) => {
    if (request.url.startsWith("/v1/projects/prj_1")) {
      if (index === 0) apiError(response, 503, "SERVICE_UNAVAILABLE", "c0");
      else json(response, 200, PROJECT);
    } else {
      apiError(response, 404, "NOT_FOUND", "c-404");
    }
  });
  try {
    const client = new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "k", retryBaseDelayMs: 100 });
    assert.equal((await client.getProject("prj_1")).name, "Loopback");
    assert.equal(server.seen.length, 2);
    const [a, b] = server.seen;
    assert.ok(a && b && b.at - a.at >= 45, "backoff of at least half the base delay");
    await assert.rejects(client.getProject("nope"), { status: 404, code: "NOT_FOUND", correlationId: "c-404" });
    assert.equal(server.seen.length, 3);
  } finally {
    await server.close();
  }
});

test("a non-JSON error keeps the status and the correlation id header", async () => {
  const server = await loopback((_, response) => {
    response.writeHead(502, { "Content-Type": "text/html", "X-Correlation-ID": "proxy-1" });
    response.end("<html>Bad gateway</html>");
  });
  try {
    const client = new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "k" });
    await assert.rejects(client.getJob("job_1"), (error: unknown) => {
      assert.ok(error instanceof ArchBuilderError);
      assert.equal(error.status, 502);
      assert.equal(error.code, "HTTP_502");
      assert.equal(error.correlationId, "proxy-1");
      assert.match(error.message, /Bad gateway/);
      return true;
    });
  } finally {
    await server.close();
  }
});

test("a refused connection on a GET is a NETWORK_ERROR after bounded retries", async () => {
  const server = await loopback(() => undefined);
  const baseUrl = server.baseUrl;
  await server.close();
  const client = new ArchBuilderClient({ baseUrl, apiKey: "k", maxRetries: 1, retryBaseDelayMs: 10 });
  await assert.rejects(client.getJob("job_1"), { status: 0, code: "NETWORK_ERROR" });
});

test("a slow answer is a TIMEOUT; an aborted call is ABORTED", async () => {
  const server = await loopback((_, response) => {
    setTimeout(() => json(response, 200, job("running", 1)), 1_500);
  });
  try {
    const client = new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "k", timeoutMs: 200, maxRetries: 0 });
    await assert.rejects(client.getJob("job_1"), { code: "TIMEOUT" });
    const patient = new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "k" });
    await assert.rejects(patient.getJob("job_1", { signal: AbortSignal.timeout(100) }), { code: "ABORTED" });
  } finally {
    await server.close();
  }
});

test("bearer tokens (a string or a function called per attempt), language and correlation id", async () => {
  const server = await loopback((_, response) => json(response, 200, job("running", 5)));
  try {
    let calls = 0;
    const client = new ArchBuilderClient({
      baseUrl: `${server.baseUrl}/`,
      bearerToken: async () => `token-${++calls}`,
      language: "tr",
    });
    await client.getJob("job 1/x", { correlationId: "my-corr" });
    await client.getJob("job_1");
    const [first, second] = server.seen;
    assert.equal(first?.url, "/v1/jobs/job%201%2Fx");
    assert.equal(first?.headers.authorization, "Bearer token-1");
    assert.equal(second?.headers.authorization, "Bearer token-2");
    assert.equal(first?.headers["x-api-key"], undefined);
    assert.equal(first?.headers["accept-language"], "tr");
    assert.equal(first?.headers["x-correlation-id"], "my-corr");
    assert.equal(first?.headers["idempotency-key"], undefined, "only POSTs carry one");
    assert.throws(() => new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "a", bearerToken: "b" }), TypeError);
  } finally {
    await server.close();
  }
});

test("paging follows next_page_token until there is none", async () => {
  const server = await loopback((request, response) => {
    const token = new URL(request.url, "http://x").searchParams.get("page_token");
    const page = token === null ? 0 : Number(token);
    json(response, 200, {
      items: [{ ...PROJECT, id: `prj_${page}a` }, { ...PROJECT, id: `prj_${page}b` }],
      next_page_token: page < 2 ? String(page + 1) : null,
    });
  });
  try {
    const client = new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "k" });
    const ids: string[] = [];
    for await (const project of client.listProjects({ pageSize: 2 })) ids.push(project.id);
    assert.deepEqual(ids, ["prj_0a", "prj_0b", "prj_1a", "prj_1b", "prj_2a", "prj_2b"]);
    assert.deepEqual(
      server.seen.map((s) => s.url),
      ["/v1/projects?page_size=2", "/v1/projects?page_size=2&page_token=1", "/v1/projects?page_size=2&page_token=2"],
    );
    // Stopping early fetches no further page.
    server.seen.length = 0;
    for await (const project of client.listProjects()) {
      assert.equal(project.id, "prj_0a");
      break;
    }
    assert.equal(server.seen.length, 1);
  } finally {
    await server.close();
  }
});

test("waitForJob follows the event stream, split anywhere", async () => {
  const server = await loopback((request, response) => {
    assert.equal(request.url, "/v1/jobs/job_1/events");
    assert.equal(request.headers.accept, "text/event-stream");
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    const text =
      `: keep-alive\r\n\r\nevent: progress\r\ndata: ${JSON.stringify(job("running", 40))}\r\n\r\n` +
      `event: progress\ndata: ${JSON.stringify(job("succeeded", 100))}\n\nevent: end\ndata: {}\n\n`;
    // Seven-byte pieces: events, lines and "\r\n" pairs cut in the middle.
    let at = 0;
    const timer = setInterval(() => {
      response.write(text.slice(at, at + 7));
      at += 7;
      if (at >= text.length) {
        clearInterval(timer);
        response.end();
      }
    }, 1);
  });
  try {
    const client = new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "k" });
    const progress: number[] = [];
    const done = await client.waitForJob("job_1", { onProgress: (j) => progress.push(j.progress) });
    assert.equal(done.status, "succeeded");
    assert.deepEqual(progress, [40, 100]);
    assert.equal(server.seen.length, 1, "no polling");
  } finally {
    await server.close();
  }
});

test("waitForJob falls back to polling when the stream is unavailable or breaks off", async () => {
  let polls = 0;
  const server = await loopback((request, response) => {
    if (request.url.endsWith("/events")) {
      if (request.headers["x-case"] === "cut") {
        response.writeHead(200, { "Content-Type": "text/event-stream" });
        response.write(`event: progress\ndata: ${JSON.stringify(job("running", 10))}\n\n`);
        setTimeout(() => response.destroy(), 20);
      } else {
        apiError(response, 500, "INTERNAL", "c");
      }
      return;
    }
    polls++;
    json(response, 200, polls % 3 === 0 ? job("succeeded", 100) : job("running", 30 * (polls % 3)));
  });
  try {
    for (const scenario of ["error", "cut"]) {
      const client = new ArchBuilderClient({
        baseUrl: server.baseUrl,
        apiKey: "k",
        maxRetries: 0,
        headers: { "X-Case": scenario },
      });
      const before = polls;
      const done = await client.waitForJob("job_1", { pollIntervalMs: 50 });
      assert.equal(done.status, "succeeded", scenario);
      assert.equal(polls - before, 3, scenario);
    }
  } finally {
    await server.close();
  }
});

test("waitForJob throws JobFailedError for a failed job and JOB_WAIT_TIMEOUT when it takes too long", async () => {
  const server = await loopback((request, response) => {
    if (request.url === "/v1/jobs/bad/events") {
      response.writeHead(200, { "Content-Type": "text/event-stream" });
      response.end(`event: progress\ndata: ${JSON.stringify(job("failed", 100))}\n\nevent: end\ndata: {}\n\n`);
    } else {
      json(response, 200, job("running", 50));
    }
  }, 200);
  try {
    const client = new ArchBuilderClient({ baseUrl: server.baseUrl, apiKey: "k" });
    await assert.rejects(client.waitForJob("bad"), (error: unknown) => {
      assert.ok(error instanceof JobFailedError);
      assert.equal(error.code, "PROGRAMME_TOO_LARGE");
      assert.equal(error.job.status, "failed");
      return true;
    });
    await assert.rejects(client.waitForJob("slow", { events: false, pollIntervalMs: 50, timeoutMs: 300 }), {
      code: "JOB_WAIT_TIMEOUT",
    });
  } finally {
    await server.close();
  }
});

test("readEvents: multi-line data, named events, comments, a last event without a blank line", async () => {
  const body = new Blob(["data: a\ndata: b\n\n:c\nevent: x\nid: 7\ndata: {}\n\nevent: y\ndata: z"]).stream();
  const events = [];
  for await (const event of readEvents(body)) events.push(event);
  assert.deepEqual(events, [
    { event: "message", data: "a\nb" },
    { event: "x", data: "{}", id: "7" },
  ]);
});

test("sha256Hex uses WebCrypto", async () => {
  assert.equal(
    await sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
