/** A tiny HTTP server on 127.0.0.1 that answers from a script, for the transport tests. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

export type Handler = (request: Seen, response: ServerResponse, index: number) => void;

export interface Loopback {
  baseUrl: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** Serves each request with `handler` (given its index); at most `limit` requests, then 500. */
export async function loopback(handler: Handler, limit = 50): Promise<Loopback> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const entry: Seen = {
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      seen.push(entry);
      if (seen.length > limit) {
        response.writeHead(500).end("too many requests in a test");
        return;
      }
      handler(entry, response, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "Content-Type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

export function apiError(
  response: ServerResponse,
  status: number,
  code: string,
  correlationId: string,
  headers: Record<string, string> = {},
): void {
  json(
    response,
    status,
    { error: { code, message: `${code} from the loopback`, details: { why: "test" }, correlation_id: correlationId } },
    { "X-Correlation-ID": correlationId, ...headers },
  );
}

export function job(status: string, progress: number): Record<string, unknown> {
  return {
    id: "job_1",
    kind: "layout",
    status,
    progress,
    stage: status,
    message: "",
    result: status === "succeeded" ? { layout_id: "lay_1", version: 1 } : null,
    error: status === "failed" ? { code: "PROGRAMME_TOO_LARGE", message: "Too many rooms." } : null,
    attempts: 1,
    created_at: "2026-01-01T00:00:00.000000Z",
    updated_at: "2026-01-01T00:00:00.000000Z",
  };
}
