import type { Job } from "./types.js";

/** The API's error body: `{"error": {code, message, details, correlation_id}}`. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  correlation_id?: string;
}

export interface ArchBuilderErrorInit {
  status: number;
  code: string;
  message: string;
  correlationId?: string | undefined;
  details?: Record<string, unknown> | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/**
 * Every failure the SDK reports.
 *
 * `status` is the HTTP status, or 0 when no answer came (`NETWORK_ERROR`, `TIMEOUT`,
 * `ABORTED`, `JOB_WAIT_TIMEOUT`). `code` is the API's stable error code (`NOT_FOUND`,
 * `VALIDATION_FAILED`, `RATE_LIMITED` …), `HTTP_<status>` when the answer was not the API's
 * error body. `correlationId` is the request's `X-Correlation-ID`: quote it to support.
 */
export class ArchBuilderError extends Error {
  override readonly name: string = "ArchBuilderError";
  readonly status: number;
  readonly code: string;
  readonly correlationId: string | undefined;
  readonly details: Record<string, unknown>;
  /** How long the server asked to wait (`Retry-After`), on a 429 or 503. */
  readonly retryAfterMs: number | undefined;

  constructor(init: ArchBuilderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.correlationId = init.correlationId;
    this.details = init.details ?? {};
    this.retryAfterMs = init.retryAfterMs;
  }

  /** The error of a non-2xx response whose body has been read as `text`. */
  static fromResponse(response: Response, text: string, retryAfterMs?: number): ArchBuilderError {
    const headerId = response.headers.get("X-Correlation-ID") ?? undefined;
    const body = parseErrorBody(text);
    if (body !== undefined) {
      return new ArchBuilderError({
        status: response.status,
        code: body.code,
        message: body.message,
        correlationId: body.correlation_id ?? headerId,
        details: body.details,
        retryAfterMs,
      });
    }
    const snippet = text.trim().slice(0, 200);
    return new ArchBuilderError({
      status: response.status,
      code: `HTTP_${response.status}`,
      message: `${response.status} ${response.statusText}${snippet ? `: ${snippet}` : ""}`.trim(),
      correlationId: headerId,
      retryAfterMs,
    });
  }
}

/** A job that ended `failed` or `cancelled`; `job` is its last state, `code` its error code. */
export class JobFailedError extends ArchBuilderError {
  override readonly name: string = "JobFailedError";
  readonly job: Job;

  constructor(job: Job, correlationId?: string) {
    super({
      status: 0,
      code: job.error?.code ?? (job.status === "cancelled" ? "JOB_CANCELLED" : "JOB_FAILED"),
      message: job.error?.message ?? `Job ${job.id} ended ${job.status}.`,
      correlationId,
    });
    this.job = job;
  }
}

function parseErrorBody(text: string): ErrorBody | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || !("error" in parsed)) return undefined;
  const error = (parsed as { error: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message, details, correlation_id } = error as Record<string, unknown>;
  if (typeof code !== "string" || typeof message !== "string") return undefined;
  return {
    code,
    message,
    ...(typeof details === "object" && details !== null ? { details: details as Record<string, unknown> } : {}),
    ...(typeof correlation_id === "string" ? { correlation_id } : {}),
  };
}
