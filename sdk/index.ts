/** The SDK's one door: the client, its errors and the wire types. */
export { AskStream } from './ask-stream.ts';
export { Cairn } from './client.ts';
export {
  AbortError,
  AuthError,
  CairnError,
  type CairnErrorCode,
  ConflictError,
  ConnectionError,
  ConnectionTimeoutError,
  InternalServerError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
} from './errors.ts';
export type { ClientOptions, RequestOptions } from './http.ts';
export { Keys } from './keys.ts';
export type { AddOptions, WaitOptions } from './resources.ts';
export { type SqlResult, type TableInfo, Tables } from './tables.ts';
export type * from './types.ts';
export type { AddDocumentParams, FileInput, IngestFilesParams, IngestUrlsParams } from './uploads.ts';
