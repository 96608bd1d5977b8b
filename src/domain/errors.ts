/**
 * The one registry of notifyd's errors (modelled on fastify's lib/errors.js):
 * every error has a stable `code` that clients and tests match on, and the
 * HTTP status the API answers with. The API maps codes to statuses only here.
 */
export const ErrorCodes = {
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  idempotency_conflict: 409,
  invalid_state: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  destination_blocked: 422,
  unprocessable: 422,
  rate_limited: 429,
  storage_unavailable: 503,
  redis_unavailable: 503,
  shutting_down: 503,
  config_invalid: 500,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface NotifydErrorOptions {
  /** The field (dotted path) the error is about, when there is one. */
  field?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class NotifydError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: NotifydErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NotifydError';
    this.code = code;
    this.statusCode = ErrorCodes[code];
    this.field = options.field;
    this.details = options.details;
  }
}

export function isNotifydError(error: unknown): error is NotifydError {
  return error instanceof NotifydError;
}
