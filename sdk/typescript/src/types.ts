/**
 * Types derived from the generated OpenAPI types (`schema.d.ts`).
 *
 * Everything here is read off `paths` (route + method), never off component names, so that
 * renaming a schema in the document does not break the SDK's public types.
 */
import type { paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

export type HttpMethod = "get" | "put" | "post" | "delete" | "patch";

/** Every path of the API that has an operation for `M`. */
export type PathsWithMethod<M extends HttpMethod> = {
  [P in keyof paths]: [NonNullable<paths[P][M]>] extends [never] ? never : P;
}[keyof paths];

/** The operation object of `M` on `P`. */
export type Operation<P extends keyof paths, M extends HttpMethod> = NonNullable<paths[P][M]>;

type SuccessStatus = 200 | 201 | 202 | 204;
type Responses<O> = O extends { responses: infer R } ? R : never;
type JsonContent<R> = R extends { content: { "application/json": infer J } }
  ? J
  : R extends { content?: never }
    ? undefined
    : unknown;

/** The JSON body of the operation's success response. */
export type ResponseBody<P extends keyof paths, M extends HttpMethod> = JsonContent<
  Responses<Operation<P, M>>[SuccessStatus & keyof Responses<Operation<P, M>>]
>;

/** The JSON request body of the operation (`never` when it takes none). */
export type RequestBody<P extends keyof paths, M extends HttpMethod> =
  Operation<P, M> extends { requestBody: { content: { "application/json": infer B } } }
    ? B
    : Operation<P, M> extends { requestBody?: { content: { "application/json": infer B } } }
      ? B
      : never;

/** The query parameters of the operation. */
export type QueryParams<P extends keyof paths, M extends HttpMethod> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** The path parameters of the operation; numbers are accepted where the path holds one. */
export type PathParams<P extends keyof paths, M extends HttpMethod> =
  Operation<P, M> extends { parameters: { path: infer X } }
    ? { [K in keyof X]: string | number }
    : never;

/** Per-call options every method accepts. */
export interface RequestOptions {
  /** Cancels the call (every attempt and every wait between attempts). */
  signal?: AbortSignal;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** `X-Correlation-ID` to send; the server makes one up otherwise. */
  correlationId?: string;
  /** `Idempotency-Key` of a POST; one is generated per call when absent (kept across retries). */
  idempotencyKey?: string;
}

type PathOption<P extends keyof paths, M extends HttpMethod> = [PathParams<P, M>] extends [never]
  ? { path?: undefined }
  : { path: PathParams<P, M> };
type QueryOption<P extends keyof paths, M extends HttpMethod> = [QueryParams<P, M>] extends [never]
  ? { query?: undefined }
  : { query?: QueryParams<P, M> };
type BodyOption<P extends keyof paths, M extends HttpMethod> = [RequestBody<P, M>] extends [never]
  ? { body?: undefined }
  : Operation<P, M> extends { requestBody: unknown }
    ? { body: RequestBody<P, M> }
    : { body?: RequestBody<P, M> };

/** Options of {@link ArchBuilderClient.call} for `M` on `P`: path, query and body as the document says. */
export type CallOptions<P extends keyof paths, M extends HttpMethod> = PathOption<P, M> &
  QueryOption<P, M> &
  BodyOption<P, M> &
  RequestOptions;

/** `[options]` when the operation needs path parameters or a body, `[options?]` otherwise. */
export type CallArgs<P extends keyof paths, M extends HttpMethod> = [PathParams<P, M>] extends [never]
  ? [RequestBody<P, M>] extends [never]
    ? [options?: CallOptions<P, M>]
    : Operation<P, M> extends { requestBody: unknown }
      ? [options: CallOptions<P, M>]
      : [options?: CallOptions<P, M>]
  : [options: CallOptions<P, M>];

/** GET paths answering one page: `{items, next_page_token}` and a `page_token` query parameter. */
export type PagedPaths = {
  [P in PathsWithMethod<"get">]: ResponseBody<P, "get"> extends {
    items: unknown[];
    next_page_token?: string | null;
  }
    ? "page_token" extends keyof QueryParams<P, "get">
      ? P
      : never
    : never;
}[PathsWithMethod<"get">];

/** One item of a paged list. */
export type PageItem<P extends PagedPaths> = ResponseBody<P, "get"> extends { items: (infer I)[] } ? I : never;

// -- named types of the resources the helpers use -----------------------------------

export type Project = ResponseBody<"/v1/projects/{project_id}", "get">;
export type ProjectCreate = RequestBody<"/v1/projects", "post">;
export type ProjectUpdate = RequestBody<"/v1/projects/{project_id}", "patch">;
export type ProjectList = ResponseBody<"/v1/projects", "get">;
export type Brief = RequestBody<"/v1/projects/{project_id}/layouts", "post">;
export type LayoutAccepted = ResponseBody<"/v1/projects/{project_id}/layouts", "post">;
export type Layout = ResponseBody<"/v1/projects/{project_id}/layouts/{layout_id}", "get">;
export type LayoutSummary = PageItem<"/v1/projects/{project_id}/layouts">;
export type LayoutVersion = ResponseBody<"/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}", "get">;
export type Job = ResponseBody<"/v1/jobs/{job_id}", "get">;
export type JobStatus = Job["status"];
export type UploadCreate = RequestBody<"/v1/projects/{project_id}/uploads", "post">;
export type UploadCreated = ResponseBody<"/v1/projects/{project_id}/uploads", "post">;
export type Model = ResponseBody<"/v1/projects/{project_id}/models/{model_id}", "get">;
export type BuildingType = NonNullable<UploadCreate["building_type"]>;

/** Export formats of a layout version. */
export type ExportFormat = "dxf" | "json" | "svg" | "ifc";
