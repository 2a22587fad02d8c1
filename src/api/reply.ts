/**
 * @module api/reply
 * Writing answers: JSON bodies, Status errors, and the mapping of every failure a handler can
 * raise (APIError, patch and schema errors, backend errors, bugs) to a Status, so a client
 * never sees a dropped connection for bad input.
 */
import type { ServerResponse } from 'node:http';
import { BodyError } from './body.js';
import { isPatchError } from './patch/errors.js';
import { isSelectorError } from './selectors/errors.js';
import { SchemaDepthError } from '../resources/schema/index.js';
import { toAPIError } from './object-store.js';
import { APIError } from './status.js';

/** Sends `body` as JSON with `code`, plus `Warning` headers for `warnings`. */
export function sendJSON(response: ServerResponse, code: number, body: unknown,
  options: { contentType?: string; warnings?: readonly string[] } = {}): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | string[]> = {
    'Content-Type': options.contentType ?? 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-cache, private',
  };
  const warnings = options.warnings ?? [];
  if (warnings.length > 0) {
    headers.Warning = warnings.slice(0, 32).map((warning) =>
      `299 - ${JSON.stringify(warning)}`);
  }
  response.writeHead(code, headers);
  response.end(text);
}

/** Sends a JSON body already rendered as byte chunks (large lists), with `code`. */
export function sendJSONChunks(response: ServerResponse, code: number,
  chunks: readonly Uint8Array[], contentType = 'application/json'): void {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  response.writeHead(code, { 'Content-Type': contentType, 'Content-Length': String(length),
    'Cache-Control': 'no-cache, private' });
  response.end(Buffer.concat(chunks, length));
}

/** Converts anything thrown by a handler into an APIError (see the module comment). */
export function asAPIError(error: unknown): APIError {
  if (error instanceof APIError) return error;
  if (isPatchError(error)) {
    const code = error.httpStatus;
    const reason = code === 422 ? 'Invalid' : 'BadRequest';
    return new APIError(code, reason, error.message);
  }
  if (error instanceof SchemaDepthError) return new APIError(400, 'BadRequest', error.message);
  if (error instanceof BodyError || isSelectorError(error)) {
    return new APIError(400, 'BadRequest', error.message);
  }
  return toAPIError(error);
}

/** Sends the Status of `error`; when headers are already out, ends the response. */
export function sendError(response: ServerResponse, error: unknown): APIError {
  const failure = asAPIError(error);
  if (response.headersSent) {
    if (!response.writableEnded) response.end();
    return failure;
  }
  const retryAfter = failure.details?.retryAfterSeconds;
  if (retryAfter !== undefined) response.setHeader('Retry-After', String(retryAfter));
  sendJSON(response, failure.httpCode, failure.toStatus());
  return failure;
}
