/**
 * @archbuilder/sdk: the ArchBuilder Cloud REST API (v1) from TypeScript, in Node 18+ and
 * browsers (global fetch, WebCrypto and streams only). Node-only helpers are in
 * `@archbuilder/sdk/node`.
 */
export { ArchBuilderClient } from "./client.js";
export type {
  CadFile,
  ClientOptions,
  ExportOptions,
  ListOptions,
  TokenSource,
  UploadOptions,
  UploadResult,
  WaitOptions,
} from "./client.js";
export { ArchBuilderError, JobFailedError } from "./errors.js";
export type { ArchBuilderErrorInit, ErrorBody } from "./errors.js";
export { readEvents } from "./sse.js";
export type { ServerSentEvent } from "./sse.js";
export { sha256Hex } from "./util.js";
export type * from "./types.js";
