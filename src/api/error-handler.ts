import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, isNotifydError, type ErrorCode } from '../domain/errors.js';

/** The body of every error answer: `{"error":{"code","message","field"?}}`. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

interface ApiError {
  statusCode: number;
  code: string;
  message: string;
  field?: string;
}

/** Fastify's own errors that clients can cause, mapped onto the registry's codes with messages that say what to do. */
const FASTIFY_ERRORS: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: 'the request body exceeds the size limit (limits.maxBodyBytes)' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', message: 'send the request body as Content-Type: application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', message: 'the request body is not valid JSON (or uses a __proto__/constructor key)' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', message: 'the request body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'validation_failed', message: 'the request body does not match its Content-Length' },
  // Raised by the router before any hook runs, so they reach us only through `frameworkErrors` (see build-app.ts).
  FST_ERR_BAD_URL: { code: 'validation_failed', message: 'the request URL is not valid (malformed percent-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'validation_failed', message: 'a path parameter is too long (ids are at most 128 characters)' },
};

/** For other 4xx errors fastify raises (bad URL encoding, …), the code that fits the status. */
const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** 5xx answers never carry internals (paths, SQL, stacks): those go to the log. */
const SERVER_MESSAGES: Partial<Record<ErrorCode, string>> = {
  storage_unavailable: 'the ledger is unavailable; retry later',
  redis_unavailable: 'redis is unavailable; retry later',
  shutting_down: 'the daemon is shutting down; retry later',
  internal: 'internal error',
};

function errorProperty(error: unknown, key: 'code' | 'statusCode' | 'message'): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

export function toApiError(error: unknown): ApiError {
  if (isNotifydError(error)) {
    const message = error.statusCode >= 500 ? (SERVER_MESSAGES[error.code] ?? 'internal error') : error.message;
    return { statusCode: error.statusCode, code: error.code, message, ...(error.field ? { field: error.field } : {}) };
  }
  const code = errorProperty(error, 'code');
  const message = errorProperty(error, 'message');
  // A SQLite error the ledger did not wrap is still the storage failing, not the client.
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    return { statusCode: ErrorCodes.storage_unavailable, code: 'storage_unavailable', message: SERVER_MESSAGES.storage_unavailable! };
  }
  const known = typeof code === 'string' ? FASTIFY_ERRORS[code] : undefined;
  if (known !== undefined) return { statusCode: ErrorCodes[known.code], code: known.code, message: known.message };
  const status = errorProperty(error, 'statusCode');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      statusCode: status,
      code: STATUS_CODES[status] ?? 'validation_failed',
      message: typeof message === 'string' ? message : 'bad request',
    };
  }
  return { statusCode: 500, code: 'internal', message: SERVER_MESSAGES.internal! };
}

export function sendError(reply: FastifyReply, apiError: ApiError): FastifyReply {
  if (apiError.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
  const body: ErrorBody = {
    error: { code: apiError.code, message: apiError.message, ...(apiError.field ? { field: apiError.field } : {}) },
  };
  return reply.code(apiError.statusCode).type('application/json; charset=utf-8').send(body);
}

/**
 * Fastify's `frameworkErrors` option: the router's own errors (a malformed
 * URL, an over-long path parameter) would otherwise leave in fastify's shape
 * with its status (414), bypassing the error handler.
 */
export function frameworkErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(error);
  request.log.info({ code: apiError.code }, apiError.message);
  void sendError(reply, apiError);
}

/** Every error, from any hook, parser or handler, leaves as the one JSON shape with the registry's status. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error);
    if (apiError.statusCode >= 500) {
      request.log.error({ err: error, code: apiError.code }, 'request failed');
    } else {
      request.log.info({ code: apiError.code, field: apiError.field }, apiError.message);
    }
    return sendError(reply, apiError);
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    // Echo the path bounded: the answer must not grow with a hostile URL.
    const path = request.url.length > 200 ? `${request.url.slice(0, 200)}…` : request.url;
    return sendError(reply, { statusCode: 404, code: 'not_found', message: `no route ${request.method} ${path}` });
  });
}
