/**
 * Every error Cairn raises on purpose has a code in this one table, with the HTTP status the
 * server answers with. Expected misses (a search with no hits, an unchanged document) are values,
 * not errors. Rooms may append codes; keep one line each.
 */
export const ERRORS = {
  // usage and configuration
  VALIDATION: { status: 400, message: 'The request is not valid' },
  CONFIG_INVALID: { status: 500, message: 'The configuration is not valid' },
  CONFIG_UNREADABLE: { status: 500, message: 'The configuration file cannot be read' },
  USAGE: { status: 400, message: 'Wrong usage' },
  NOT_IMPLEMENTED: { status: 501, message: 'Not built yet' },
  // store
  DATA_DIR_UNREADABLE: { status: 500, message: 'The data folder cannot be used' },
  DB_CORRUPT: { status: 500, message: 'The database file is corrupt or not a Cairn database' },
  DB_NEWER_VERSION: { status: 500, message: 'The database was written by a newer Cairn' },
  DB_MIGRATION_FAILED: { status: 500, message: 'A database migration failed' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  COLLECTION_NOT_FOUND: { status: 404, message: 'No such collection' },
  COLLECTION_EXISTS: { status: 409, message: 'A collection with this name exists' },
  DOCUMENT_NOT_FOUND: { status: 404, message: 'No such document' },
  JOB_NOT_FOUND: { status: 404, message: 'No such job' },
  CHAT_NOT_FOUND: { status: 404, message: 'No such chat' },
  CONFLICT: { status: 409, message: 'Conflict' },
  // server edge
  PORT_IN_USE: { status: 500, message: 'The port is already in use' },
  UNAUTHORIZED: { status: 401, message: 'A valid API key is required' },
  FORBIDDEN: { status: 403, message: 'The API key lacks the scope for this' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request is too large' },
  OVERLOADED: { status: 503, message: 'The server is busy; try again shortly' },
  TIMEOUT: { status: 504, message: 'The operation timed out' },
  HOST_NOT_ALLOWED: { status: 421, message: 'The Host header names neither this server nor an allowed host' },
  ORIGIN_NOT_ALLOWED: { status: 403, message: 'A browser page from another origin may not change anything here' },
  EMBED_ORIGIN_NOT_ALLOWED: { status: 403, message: 'This embed key may not be used from this page origin' },
  EMBED_KEY_FORBIDDEN: { status: 403, message: 'An embed key may only search and ask in its collection' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be application/json' },
  MODEL_REF_NOT_ALLOWED: { status: 403, message: 'This model reference needs a global admin key' },
  // models
  MODEL_MISSING: { status: 503, message: 'A model is not available' },
  MODEL_CORRUPT: { status: 500, message: 'A model file is corrupt' },
  MODEL_LOAD_FAILED: { status: 500, message: 'A model could not be loaded' },
  DIMENSION_MISMATCH: { status: 409, message: 'Embedding dimensions differ' },
  OFFLINE: { status: 503, message: 'Offline mode forbids network access' },
  UPSTREAM_FAILED: { status: 502, message: 'An upstream model server failed' },
  GENERATOR_FAILED: { status: 502, message: 'The generator failed' },
  GRADER_OUTPUT_INVALID: { status: 502, message: 'The grader returned output that does not fit its schema' },
  CANCELLED: { status: 499, message: 'The request was cancelled' },
  // ingestion
  UNSUPPORTED_TYPE: { status: 415, message: 'This file type is not supported' },
  BINARY_FILE: { status: 415, message: 'The file is binary, not text' },
  EMPTY_FILE: { status: 422, message: 'The file is empty' },
  LOADER_FAILED: { status: 422, message: 'The document could not be read' },
  PDF_ENCRYPTED: { status: 422, message: 'The PDF is encrypted' },
  PDF_BAD_PASSWORD: { status: 422, message: 'The PDF password is wrong' },
  PDF_NO_TEXT: { status: 422, message: 'no extractable text (scanned? OCR not enabled)' },
  OCR_FAILED: { status: 422, message: 'OCR of the document failed' },
  OCR_NO_TEXT: { status: 422, message: 'OCR found no text' },
  SOURCE_NOT_FOUND: { status: 404, message: 'The source does not exist' },
  SOURCE_CHANGED: { status: 404, message: 'The source file changed since it was ingested' },
  FILE_NOT_KEPT: { status: 404, message: 'No original file is kept for this document' },
  URL_BLOCKED: { status: 403, message: 'The URL points to a private or forbidden address' },
  FETCH_FAILED: { status: 502, message: 'The URL could not be fetched' },
  TOO_LARGE: { status: 413, message: 'The source exceeds a size limit' },
  ARCHIVE_TOO_LARGE: { status: 413, message: 'An archive inflates past the size limit' },
  ARCHIVE_RATIO: { status: 413, message: 'An archive entry inflates past the compression-ratio limit' },
  ARCHIVE_TOO_MANY_ENTRIES: { status: 413, message: 'An archive has more entries than allowed' },
  ARCHIVE_NESTED: { status: 422, message: 'An archive holds archives nested deeper than allowed' },
  ARCHIVE_UNSAFE: { status: 422, message: 'An archive uses a refused ZIP form (prepended bytes, overlaps, ZIP64, encryption)' },
  EMBED_FAILED: { status: 502, message: 'The embedder failed on a batch of chunks' },
  // indexes
  INDEX_CORRUPT: { status: 500, message: 'An index file is corrupt' },
  INDEX_MISMATCH: { status: 500, message: 'An index file belongs to another model or collection' },
  BAD_VECTOR: { status: 400, message: 'A vector is not valid' },
  // tables and SQL
  SQL_REFUSED: { status: 400, message: 'The SQL is not one read-only SELECT over this collection’s tables' },
  SQL_FAILED: { status: 400, message: 'The SQL query failed' },
  SQL_TIMEOUT: { status: 408, message: 'The SQL query ran past its time limit' },
  // catch-all
  INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.name = 'CairnError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isCairnError(error: unknown, code?: ErrorCode): error is CairnError {
  return error instanceof CairnError && (code === undefined || error.code === code);
}

/** Wraps anything thrown into a CairnError so edges (HTTP, CLI) can report it uniformly. */
export function toCairnError(error: unknown): CairnError {
  if (error instanceof CairnError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CairnError('INTERNAL', message, undefined, { cause: error });
}
