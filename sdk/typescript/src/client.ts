import { ArchBuilderError, JobFailedError } from "./errors.js";
import { readEvents } from "./sse.js";
import type {
  Brief,
  BuildingType,
  CallArgs,
  CallOptions,
  ExportFormat,
  HttpMethod,
  Job,
  Layout,
  LayoutAccepted,
  LayoutSummary,
  LayoutVersion,
  Model,
  PagedPaths,
  PageItem,
  PathsWithMethod,
  Project,
  ProjectCreate,
  ProjectUpdate,
  RequestOptions,
  ResponseBody,
  UploadCreated,
} from "./types.js";
import type { paths } from "./schema.js";
import { parseRetryAfter, randomId, sha256Hex, sleep, throwIfAborted, toBytes } from "./util.js";

/** A bearer token, or a function giving the current one (called before every attempt). */
export type TokenSource = string | (() => string | Promise<string>);

export interface ClientOptions {
  /** The API's origin, e.g. `https://api.archbuilder.example` or `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** A tenant API key, sent as `X-API-Key` (machines). */
  apiKey?: string;
  /** A Firebase ID token, sent as `Authorization: Bearer` (people). Not together with `apiKey`. */
  bearerToken?: TokenSource;
  /** `Accept-Language` for the API's messages (en, tr, de …); the tenant's language otherwise. */
  language?: string;
  /** Retries of a 429 or 503 (and of a network error on GET, PUT, DELETE). Default 3. */
  maxRetries?: number;
  /** First backoff when the server sends no `Retry-After`; doubles each retry, with jitter. Default 500 ms. */
  retryBaseDelayMs?: number;
  /**
   * Longest wait between two attempts. A `Retry-After` longer than this is not waited for: the
   * 429/503 is thrown at once, with `retryAfterMs` set. Default 30 000 ms.
   */
  maxRetryDelayMs?: number;
  /** Time limit of one attempt, up to the whole body (up to the headers of an event stream). Default 60 000 ms. */
  timeoutMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** A fetch implementation; the global `fetch` by default. */
  fetch?: typeof fetch;
}

export interface ListOptions {
  /** Items per request (1–200; the API's default is 50). */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up after this long with `JOB_WAIT_TIMEOUT`. Default 10 minutes. */
  timeoutMs?: number;
  /** Follow `GET /v1/jobs/{id}/events` (Server-Sent Events) before polling. Default true. */
  events?: boolean;
  /** Interval of the polling fallback. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Called with each new state of the job (status, progress, stage). */
  onProgress?: (job: Job) => void;
}

/** A CAD file to upload: DWG, DXF or IFC. */
export interface CadFile {
  filename: string;
  data: Uint8Array | ArrayBuffer | Blob;
  /** Default `application/octet-stream`. */
  contentType?: string;
  /** Lowercase hex SHA-256 of `data`; computed with WebCrypto when absent. */
  sha256?: string;
}

export interface UploadOptions extends WaitOptions {
  buildingType?: BuildingType;
  /** Wait for ingestion and read the model (default true); false returns after the PUT. */
  wait?: boolean;
}

export interface UploadResult {
  upload: UploadCreated;
  /** The finished `cad_ingest` job (undefined with `wait: false`). */
  job?: Job;
  /** The ingested model (undefined with `wait: false`). */
  model?: Model;
}

export interface ExportOptions {
  /** Which variant of the version (1–5). Default 1. */
  variant?: number;
  signal?: AbortSignal;
}

interface SendInit {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
  /** Send the credentials (false for signed upload URLs). */
  auth: boolean;
  /** Return as soon as the headers are in; the caller reads the body. */
  stream?: boolean;
  signal?: AbortSignal | undefined;
}

interface Sent {
  response: Response;
  /** The whole body; empty for a stream. */
  bytes: Uint8Array;
}

const RETRY_STATUSES = new Set([429, 503]);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

/**
 * The ArchBuilder Cloud API (v1).
 *
 * Named helpers for the common flows (projects, briefs, jobs, exports, uploads, paging) and
 * {@link ArchBuilderClient.call} for every other operation of the OpenAPI document, typed by
 * path and method. Every request: credentials, retries with backoff on 429/503 honouring
 * `Retry-After` (bounded), an `Idempotency-Key` on each POST (the same on its retries), and
 * {@link ArchBuilderError} for anything but a 2xx.
 */
export class ArchBuilderClient {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #bearer: TokenSource | undefined;
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;
  readonly #maxRetries: number;
  readonly #baseDelay: number;
  readonly #maxDelay: number;
  readonly #timeout: number;

  constructor(options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError("baseUrl is required");
    if (options.apiKey !== undefined && options.bearerToken !== undefined) {
      throw new TypeError("pass apiKey or bearerToken, not both");
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    this.#bearer = options.bearerToken;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== "function") throw new TypeError("no fetch: pass options.fetch");
    // Called unbound, the browser's fetch throws "Illegal invocation".
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#headers = {
      ...(options.language === undefined ? {} : { "Accept-Language": options.language }),
      ...options.headers,
    };
    this.#maxRetries = Math.max(0, options.maxRetries ?? 3);
    this.#baseDelay = Math.max(0, options.retryBaseDelayMs ?? 500);
    this.#maxDelay = Math.max(0, options.maxRetryDelayMs ?? 30_000);
    this.#timeout = Math.max(1, options.timeoutMs ?? 60_000);
  }

  // -- any operation of the document ---------------------------------------------

  /**
   * Calls one operation of the OpenAPI document and resolves with its JSON answer.
   *
   * ```ts
   * const log = await client.call("get", "/v1/audit-log", { query: { page_size: 20 } });
   * const project = await client.call("patch", "/v1/projects/{project_id}", {
   *   path: { project_id: id }, body: { name: "New name" },
   * });
   * ```
   * A non-JSON answer resolves with its text; an empty one with undefined.
   */
  async call<M extends HttpMethod, P extends PathsWithMethod<M>>(
    method: M,
    path: P,
    ...args: CallArgs<P, M>
  ): Promise<ResponseBody<P, M>> {
    const options = (args[0] ?? {}) as CallOptions<P, M>;
    const { response, bytes } = await this.#sendOperation(method, path, options);
    if (bytes.length === 0) return undefined as ResponseBody<P, M>;
    const text = new TextDecoder().decode(bytes);
    const type = response.headers.get("Content-Type") ?? "";
    return (/\bjson\b/i.test(type) ? JSON.parse(text) : text) as ResponseBody<P, M>;
  }

  /** Every page of a paged list, following `next_page_token` (keyset paging). */
  async *pages<P extends PagedPaths>(path: P, ...args: CallArgs<P, "get">): AsyncGenerator<ResponseBody<P, "get">> {
    const options = (args[0] ?? {}) as CallOptions<P, "get"> & { query?: { page_token?: string | null } };
    let token: string | null | undefined = options.query?.page_token;
    do {
      const query = { ...options.query, ...(token ? { page_token: token } : {}) };
      const { bytes } = await this.#sendOperation("get", path, { ...options, query } as CallOptions<P, "get">);
      const page = JSON.parse(new TextDecoder().decode(bytes)) as ResponseBody<P, "get">;
      yield page;
      token = (page as { next_page_token?: string | null }).next_page_token;
    } while (token);
  }

  /** Every item of a paged list, page after page, fetched as the loop asks for them. */
  async *paginate<P extends PagedPaths>(path: P, ...args: CallArgs<P, "get">): AsyncGenerator<PageItem<P>> {
    for await (const page of this.pages(path, ...args)) {
      for (const item of (page as { items: PageItem<P>[] }).items) yield item;
    }
  }

  // -- projects --------------------------------------------------------------------

  createProject(project: ProjectCreate, options?: RequestOptions): Promise<Project> {
    return this.call("post", "/v1/projects", { ...options, body: project });
  }

  getProject(projectId: string, options?: RequestOptions): Promise<Project> {
    return this.call("get", "/v1/projects/{project_id}", { ...options, path: { project_id: projectId } });
  }

  updateProject(projectId: string, changes: ProjectUpdate, options?: RequestOptions): Promise<Project> {
    return this.call("patch", "/v1/projects/{project_id}", {
      ...options,
      path: { project_id: projectId },
      body: changes,
    });
  }

  async deleteProject(projectId: string, options?: RequestOptions): Promise<void> {
    await this.call("delete", "/v1/projects/{project_id}", { ...options, path: { project_id: projectId } });
  }

  /** The tenant's projects, newest first, across pages. */
  listProjects(options: ListOptions = {}): AsyncGenerator<Project> {
    return this.paginate("/v1/projects", {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      query: options.pageSize === undefined ? {} : { page_size: options.pageSize },
    });
  }

  // -- layouts ---------------------------------------------------------------------

  /** Submits a brief: resolves with the job and layout ids (202); {@link waitForJob} follows the job. */
  submitBrief(projectId: string, brief: Brief, options?: RequestOptions): Promise<LayoutAccepted> {
    return this.call("post", "/v1/projects/{project_id}/layouts", {
      ...options,
      path: { project_id: projectId },
      body: brief,
    });
  }

  /** A project's layouts, across pages. */
  listLayouts(projectId: string, options: ListOptions = {}): AsyncGenerator<LayoutSummary> {
    return this.paginate("/v1/projects/{project_id}/layouts", {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      path: { project_id: projectId },
      query: options.pageSize === undefined ? {} : { page_size: options.pageSize },
    });
  }

  getLayout(projectId: string, layoutId: string, options?: RequestOptions): Promise<Layout> {
    return this.call("get", "/v1/projects/{project_id}/layouts/{layout_id}", {
      ...options,
      path: { project_id: projectId, layout_id: layoutId },
    });
  }

  getVersion(
    projectId: string,
    layoutId: string,
    version: number,
    options: RequestOptions & { variant?: number } = {},
  ): Promise<LayoutVersion> {
    const { variant, ...rest } = options;
    return this.call("get", "/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}", {
      ...rest,
      path: { project_id: projectId, layout_id: layoutId, version },
      query: variant === undefined ? {} : { variant },
    });
  }

  /** A version exported as `format` (DXF, JSON, SVG, IFC): the file's bytes. */
  async exportVersion(
    projectId: string,
    layoutId: string,
    version: number,
    format: ExportFormat,
    options: ExportOptions = {},
  ): Promise<Uint8Array> {
    const { bytes } = await this.#sendOperation(
      "get",
      "/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}/export",
      {
        path: { project_id: projectId, layout_id: layoutId, version },
        query: { format, ...(options.variant === undefined ? {} : { variant: options.variant }) },
        headers: { Accept: "*/*" },
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    return bytes;
  }

  // -- jobs ------------------------------------------------------------------------

  getJob(jobId: string, options?: RequestOptions): Promise<Job> {
    return this.call("get", "/v1/jobs/{job_id}", { ...options, path: { job_id: jobId } });
  }

  /**
   * Resolves with the job once it has succeeded; throws {@link JobFailedError} when it failed or
   * was cancelled, `JOB_WAIT_TIMEOUT` after `timeoutMs`.
   *
   * Follows the job's event stream (`GET /v1/jobs/{id}/events`, read with fetch streaming so
   * that the credentials go in headers); when the stream is unavailable, breaks off or times
   * out, polls `GET /v1/jobs/{id}` instead.
   */
  async waitForJob(jobId: string, options: WaitOptions = {}): Promise<Job> {
    const timeoutMs = options.timeoutMs ?? 600_000;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const outer = options.signal;
    const onAbort = (): void => controller.abort(outer?.reason);
    if (outer?.aborted === true) controller.abort(outer.reason);
    else outer?.addEventListener("abort", onAbort, { once: true });
    const signal = controller.signal;

    let last: Job | undefined;
    const seen = (job: Job): void => {
      if (last === undefined || last.status !== job.status || last.progress !== job.progress || last.stage !== job.stage) {
        options.onProgress?.(job);
      }
      last = job;
    };
    try {
      if (options.events ?? true) {
        await this.#followEvents(jobId, signal, seen);
        if (last !== undefined && FINISHED.has(last.status)) return finish(last);
      }
      const interval = Math.max(50, options.pollIntervalMs ?? 1000);
      for (;;) {
        seen(await this.getJob(jobId, { signal }));
        if (last !== undefined && FINISHED.has(last.status)) return finish(last);
        await sleep(interval, signal);
      }
    } catch (error) {
      if (timedOut) {
        throw new ArchBuilderError({
          status: 0,
          code: "JOB_WAIT_TIMEOUT",
          message: `Job ${jobId} did not finish in ${timeoutMs} ms${last ? ` (last: ${last.status}, ${last.progress}%)` : ""}.`,
          cause: error,
        });
      }
      if (outer?.aborted === true && !(error instanceof ArchBuilderError && error.code === "ABORTED")) {
        throw new ArchBuilderError({ status: 0, code: "ABORTED", message: "The call was aborted.", cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Follows the job's event stream, calling `seen` with each state. Returns when the stream
   * ended (the job finished, the server's stream timed out, or it broke off) or could not be
   * opened for a reason polling may not share; throws what polling would answer the same
   * (401, 403, 404), an `error` event (the credentials stopped being valid: status 0 and the
   * event's code) and aborts.
   */
  async #followEvents(jobId: string, signal: AbortSignal, seen: (job: Job) => void): Promise<void> {
    let response: Response;
    try {
      ({ response } = await this.#send({
        method: "GET",
        url: this.#url("/v1/jobs/{job_id}/events", { job_id: jobId }),
        headers: { Accept: "text/event-stream" },
        auth: true,
        stream: true,
        signal,
      }));
    } catch (error) {
      if (signal.aborted || !(error instanceof ArchBuilderError) || [401, 403, 404].includes(error.status)) {
        throw error;
      }
      return;
    }
    if (response.body === null) return;
    try {
      for await (const event of readEvents(response.body)) {
        if (event.event === "progress") {
          seen(JSON.parse(event.data) as Job);
        } else if (event.event === "end" || event.event === "timeout") {
          return;
        } else if (event.event === "error") {
          const body = JSON.parse(event.data) as { error?: { code?: string; message?: string } };
          throw new ArchBuilderError({
            status: 0,
            code: body.error?.code ?? "STREAM_ERROR",
            message: body.error?.message ?? "The job's event stream reported an error.",
            correlationId: response.headers.get("X-Correlation-ID") ?? undefined,
          });
        }
      }
    } catch (error) {
      if (signal.aborted || error instanceof ArchBuilderError) throw error;
      // A cut stream or an unreadable event: polling takes over.
    }
  }

  // -- CAD uploads -----------------------------------------------------------------

  /**
   * Uploads a CAD file: hashes it (SHA-256, WebCrypto), asks for an upload URL
   * (`POST /v1/projects/{id}/uploads`), PUTs the bytes there with the headers it names, then
   * (unless `wait: false`) waits for the ingestion job and reads the model.
   */
  async uploadModel(projectId: string, file: CadFile, options: UploadOptions = {}): Promise<UploadResult> {
    const data = await toBytes(file.data);
    const sha256 = file.sha256 ?? (await sha256Hex(data));
    const signal = options.signal;
    const upload = await this.call("post", "/v1/projects/{project_id}/uploads", {
      path: { project_id: projectId },
      body: {
        filename: file.filename,
        size_bytes: data.byteLength,
        content_type: file.contentType ?? "application/octet-stream",
        sha256,
        ...(options.buildingType === undefined ? {} : { building_type: options.buildingType }),
      },
      ...(signal === undefined ? {} : { signal }),
    });
    await this.#send({
      method: upload.method ?? "PUT",
      url: new URL(upload.upload_url, `${this.baseUrl}/`).toString(),
      headers: { ...upload.headers },
      body: data,
      // A signed URL: the credentials are in it, ours must not travel to the bucket.
      auth: false,
      signal,
    });
    if (options.wait === false) return { upload };
    const job = await this.waitForJob(upload.job_id, options);
    const model = await this.getModel(projectId, upload.model_id, signal === undefined ? {} : { signal });
    return { upload, job, model };
  }

  getModel(projectId: string, modelId: string, options?: RequestOptions): Promise<Model> {
    return this.call("get", "/v1/projects/{project_id}/models/{model_id}", {
      ...options,
      path: { project_id: projectId, model_id: modelId },
    });
  }

  // -- transport -------------------------------------------------------------------

  #url(path: string, params: Record<string, string | number> | undefined, query?: object): string {
    const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = params?.[name];
      if (value === undefined) throw new TypeError(`missing path parameter ${name} of ${path}`);
      return encodeURIComponent(String(value));
    });
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) search.append(key, String(value));
    }
    const qs = search.toString();
    return `${this.baseUrl}${filled}${qs ? `?${qs}` : ""}`;
  }

  #sendOperation(
    method: HttpMethod,
    path: keyof paths,
    options: {
      path?: Record<string, string | number> | undefined;
      query?: object | undefined;
      body?: unknown;
    } & RequestOptions,
  ): Promise<Sent> {
    const verb = method.toUpperCase();
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (options.correlationId !== undefined) headers["X-Correlation-ID"] = options.correlationId;
    if (verb === "POST") headers["Idempotency-Key"] = options.idempotencyKey ?? randomId();
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] = "application/json";
    }
    return this.#send({
      method: verb,
      url: this.#url(path, options.path, options.query),
      headers,
      body,
      auth: true,
      signal: options.signal,
    });
  }

  async #authHeaders(): Promise<Record<string, string>> {
    if (this.#apiKey !== undefined) return { "X-API-Key": this.#apiKey };
    if (this.#bearer !== undefined) {
      const token = typeof this.#bearer === "string" ? this.#bearer : await this.#bearer();
      return { Authorization: `Bearer ${token}` };
    }
    return {};
  }

  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#maxDelay, this.#baseDelay * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /** One request with its retries; throws ArchBuilderError for anything but a 2xx. */
  async #send(init: SendInit): Promise<Sent> {
    const retryNetwork = SAFE_METHODS.has(init.method);
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(init.signal);
      const headers = {
        ...(init.auth ? this.#headers : {}),
        ...init.headers,
        ...(init.auth ? await this.#authHeaders() : {}),
      };
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.#timeout);
      const outer = init.signal;
      const onAbort = (): void => controller.abort(outer?.reason);
      outer?.addEventListener("abort", onAbort, { once: true });
      const release = (): void => {
        clearTimeout(timer);
        outer?.removeEventListener("abort", onAbort);
      };
      let response: Response;
      let bytes = new Uint8Array(0);
      try {
        response = await this.#fetch(init.url, {
          method: init.method,
          headers,
          ...(init.body === undefined ? {} : { body: init.body as BodyInit }),
          signal: controller.signal,
        });
        if (init.stream === true && response.ok) {
          // The body is the caller's to read; the caller's signal still cancels it.
          clearTimeout(timer);
          return { response, bytes };
        }
        bytes = new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        release();
        if (outer?.aborted === true) {
          throw new ArchBuilderError({ status: 0, code: "ABORTED", message: "The call was aborted.", cause: error });
        }
        const failure = new ArchBuilderError({
          status: 0,
          code: timedOut ? "TIMEOUT" : "NETWORK_ERROR",
          message: timedOut
            ? `${init.method} ${init.url} took longer than ${this.#timeout} ms.`
            : `${init.method} ${init.url} failed: ${error instanceof Error ? error.message : String(error)}`,
          cause: error,
        });
        if (!retryNetwork || attempt >= this.#maxRetries) throw failure;
        await sleep(this.#backoff(attempt), init.signal);
        continue;
      }
      release();
      if (response.ok) return { response, bytes };
      const retryAfter = parseRetryAfter(response.headers.get("Retry-After"));
      const failure = ArchBuilderError.fromResponse(response, new TextDecoder().decode(bytes), retryAfter);
      if (!RETRY_STATUSES.has(response.status) || attempt >= this.#maxRetries) throw failure;
      if (retryAfter !== undefined && retryAfter > this.#maxDelay) throw failure;
      await sleep(retryAfter ?? this.#backoff(attempt), init.signal);
    }
  }
}

function finish(job: Job): Job {
  if (job.status === "succeeded") return job;
  throw new JobFailedError(job);
}
