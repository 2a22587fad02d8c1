/**
 * @module chaos/k8s-http
 * The small HTTP client the Kubernetes chaos workload speaks: one JSON request with a
 * deadline, answered as a tagged result instead of an exception, and a watch stream read
 * line by line (one JSON event per line, API concepts "Efficient detection of changes").
 *
 * Contract: every request is bounded by its deadline; a watch stream is bounded by its own
 * deadline and by the caller's abort signal. Nothing here decides what an outcome MEANS for
 * the history: `classifyWrite` and `classifyRead` do, and they are pure.
 */
import type { Outcome } from './history.js';

/** HTTPResult is what one request came to: a response, or an error before any. */
export type HTTPResult =
  | { readonly kind: 'response'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'error'; readonly message: string; readonly connectRefused: boolean };

/** KubeObjectView is the part of a ConfigMap the workload reads. */
export interface KubeObjectView {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
  readonly data?: Readonly<Record<string, string>>;
}

/** Returns the errno code in an error or its cause chain (fetch wraps the socket error). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Sends one JSON request to `baseURL` + `path` with a deadline of `timeoutMs`. */
export async function requestJSON(baseURL: string, request: {
  readonly method: 'GET' | 'POST' | 'PUT'; readonly path: string; readonly body?: unknown;
  readonly timeoutMs: number;
}): Promise<HTTPResult> {
  try {
    const response = await fetch(baseURL + request.path, {
      method: request.method, signal: AbortSignal.timeout(request.timeoutMs),
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // Not JSON (a proxy error page): keep the text for the message.
    }
    return { kind: 'response', status: response.status, body };
  } catch (error) {
    // NB: ECONNREFUSED means no server accepted the connection, so nothing was sent.
    const code = errorCode(error);
    return { kind: 'error', message: code ?? (error instanceof Error ? error.name : 'error'),
      connectRefused: code === 'ECONNREFUSED' };
  }
}

/**
 * Classifies a create or a resourceVersion-guarded update (Kubernetes semantics): 200/201
 * happened; 409 (Conflict, AlreadyExists) and every other 4xx were refused before any
 * effect; 5xx (503 after a lost quorum, 504, 500) and timeouts or broken connections may
 * have taken effect; a refused connection never reached a server.
 */
export function classifyWrite(result: HTTPResult): Outcome {
  if (result.kind === 'error') return result.connectRefused ? 'fail' : 'unknown';
  if (result.status === 200 || result.status === 201) return 'ok';
  return result.status >= 400 && result.status < 500 ? 'fail' : 'unknown';
}

/** ReadOutcome is a GET's meaning for a register: its value (null: absent) or a failure. */
export type ReadOutcome =
  | { readonly outcome: 'ok'; readonly value: string | null; readonly resourceVersion: string }
  | { readonly outcome: 'fail'; readonly error: string };

/**
 * Classifies a GET of one register: 200 with `.data.v` is its value, 404 is absent, and
 * anything else is a failed read (a read has no effect, so it is never unknown).
 */
export function classifyRead(result: HTTPResult): ReadOutcome {
  if (result.kind === 'error') return { outcome: 'fail', error: result.message };
  if (result.status === 404) return { outcome: 'ok', value: null, resourceVersion: '' };
  if (result.status !== 200) return { outcome: 'fail', error: `HTTP ${result.status}` };
  const object = result.body as KubeObjectView;
  const value = object.data?.v;
  const resourceVersion = object.metadata?.resourceVersion;
  if (value === undefined || resourceVersion === undefined) {
    return { outcome: 'fail', error: 'a 200 without data.v or metadata.resourceVersion' };
  }
  return { outcome: 'ok', value, resourceVersion };
}

/** WireWatchEvent is one line of a watch stream. */
export interface WireWatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObjectView & { readonly code?: number; readonly reason?: string };
}

/** How a watch stream ended. */
export type StreamEnd =
  | { readonly kind: 'closed'; readonly reason: string }
  | { readonly kind: 'expired'; readonly reason: string };

/**
 * Streams a WATCH: calls `onEvent` for each event line until the server ends the stream, an
 * ERROR event arrives, `timeoutMs` passes or `signal` aborts. A 410 (as the HTTP status or
 * as an ERROR event) is `expired`: the caller MUST re-list.
 */
export async function streamWatch(url: string, options: {
  readonly timeoutMs: number; readonly signal: AbortSignal;
  readonly onEvent: (event: WireWatchEvent) => void;
}): Promise<StreamEnd> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  try {
    const response = await fetch(url, { signal, headers: { Accept: 'application/json' } });
    if (response.status === 410) return { kind: 'expired', reason: 'HTTP 410' };
    if (response.status !== 200 || response.body === null) {
      await response.body?.cancel();
      return { kind: 'closed', reason: `HTTP ${response.status}` };
    }
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of response.body) {
      pending += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const event = JSON.parse(pending.slice(0, newline)) as WireWatchEvent;
        pending = pending.slice(newline + 1);
        if (event.type === 'ERROR') {
          return event.object.code === 410 ? { kind: 'expired', reason: 'ERROR 410' }
            : { kind: 'closed', reason: `ERROR ${event.object.reason ?? ''}` };
        }
        options.onEvent(event);
      }
    }
    return { kind: 'closed', reason: 'ended' };
  } catch (error) {
    return { kind: 'closed', reason: `error: ${errorCode(error) ?? String(error)}` };
  }
}
