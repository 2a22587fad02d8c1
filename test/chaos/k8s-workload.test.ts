/**
 * Goal: the k8s chaos workload records what really happened, so its checkers pass a correct
 * API server and flag a broken one: HTTP outcomes map to Jepsen outcomes (409 definite,
 * 503 and timeouts unknown, a refused connection definite), the watchers re-watch from the
 * last resourceVersion and re-list after 410 (a new epoch the checker accepts), and a server
 * that re-delivers the resume event, drops one, or serves stale reads is reported.
 * Method: table tests of the pure classifiers, then the real workload against a tiny
 * in-process fake ConfigMap API (one revision counter, an event log, watch streams that
 * end after a few events, and a 410 on the first watch) with an injectable bug, run until
 * enough sessions were recorded (polled with a deadline), then the run's checkers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../src/chaos/linearizability.js';
import { checkWatches } from '../../src/chaos/watch-checker.js';
import type { History } from '../../src/chaos/history.js';
import { classifyRead, classifyWrite, type HTTPResult } from '../../src/chaos/k8s-http.js';
import { K8sWorkload } from '../../src/chaos/k8s-workload.js';
import { SeededRandom } from '../../src/util/prng.js';

const response = (status: number, body: unknown = {}): HTTPResult =>
  ({ kind: 'response', status, body });

describe('k8s outcome classification', () => {
  it.each([
    [response(200), 'ok'], [response(201), 'ok'], [response(409), 'fail'],
    [response(422), 'fail'], [response(429), 'fail'], [response(404), 'fail'],
    [response(503), 'unknown'], [response(504), 'unknown'], [response(500), 'unknown'],
    [{ kind: 'error', message: 'TimeoutError', connectRefused: false }, 'unknown'],
    [{ kind: 'error', message: 'ECONNRESET', connectRefused: false }, 'unknown'],
    [{ kind: 'error', message: 'ECONNREFUSED', connectRefused: true }, 'fail'],
  ] as const)('write answered %j is %s', (result, outcome) => {
    expect(classifyWrite(result)).toBe(outcome);
  });

  it('reads: 200 is the value, 404 is absent, anything else fails', () => {
    expect(classifyRead(response(200, { metadata: { resourceVersion: '7' }, data: { v: 'a' } })))
      .toEqual({ outcome: 'ok', value: 'a', resourceVersion: '7' });
    expect(classifyRead(response(404))).toEqual({ outcome: 'ok', value: null,
      resourceVersion: '' });
    expect(classifyRead(response(503)).outcome).toBe('fail');
    expect(classifyRead(response(200, { metadata: {} })).outcome).toBe('fail');
  });
});

type Bug = 'none' | 'resume-duplicates' | 'resume-skips' | 'stale-reads';

interface StoredMap { value: string; rv: number }

/** A fake ConfigMap API over one namespace; `bug` breaks one guarantee on purpose. */
class FakeAPI {
  readonly objects = new Map<string, StoredMap>();
  readonly log: { name: string; value: string; rv: number; type: 'ADDED' | 'MODIFIED' }[] = [];
  private revision = 10;
  private watchesServed = 0;
  private readonly streams = new Set<ServerResponse>();
  readonly server: Server;

  constructor(private readonly bug: Bug) {
    this.server = createServer((request, reply) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => this.handle(request, reply, text));
    });
  }

  url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private send(reply: ServerResponse, status: number, body: unknown): void {
    reply.writeHead(status, { 'Content-Type': 'application/json' });
    reply.end(JSON.stringify(body));
  }

  private object(name: string, stored: StoredMap): unknown {
    return { metadata: { name, resourceVersion: String(stored.rv) }, data: { v: stored.value } };
  }

  private handle(request: IncomingMessage, reply: ServerResponse, text: string): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    const name = url.pathname.split('/')[6];
    if (url.searchParams.get('watch') === '1') {
      this.watch(reply, Number(url.searchParams.get('resourceVersion')));
      return;
    }
    if (request.method === 'GET' && name === undefined) {
      this.send(reply, 200, { metadata: { resourceVersion: String(this.revision) }, items: [] });
      return;
    }
    if (request.method === 'GET') {
      const stored = this.objects.get(name!);
      const stale = this.bug === 'stale-reads' ? this.log.find((e) => e.name === name) : undefined;
      if (stale !== undefined) this.send(reply, 200, this.object(name!, stale));
      else if (stored === undefined) this.send(reply, 404, { reason: 'NotFound' });
      else this.send(reply, 200, this.object(name!, stored));
      return;
    }
    this.write(reply, JSON.parse(text) as { metadata: { name: string;
      resourceVersion?: string }; data: { v: string } });
  }

  private write(reply: ServerResponse, body: { metadata: { name: string;
    resourceVersion?: string }; data: { v: string } }): void {
    const current = this.objects.get(body.metadata.name);
    const expected = body.metadata.resourceVersion;
    if (expected === undefined ? current !== undefined : current?.rv !== Number(expected)) {
      this.send(reply, 409, { reason: 'Conflict' });
      return;
    }
    const stored = { value: body.data.v, rv: ++this.revision };
    this.objects.set(body.metadata.name, stored);
    this.log.push({ name: body.metadata.name, value: stored.value, rv: stored.rv,
      type: current === undefined ? 'ADDED' : 'MODIFIED' });
    for (const stream of this.streams) this.flush(stream);
    this.send(reply, expected === undefined ? 201 : 200, this.object(body.metadata.name, stored));
  }

  /** Streams events after `rv`; the first watch ever gets a 410, every stream ends soon. */
  private watch(reply: ServerResponse, rv: number): void {
    reply.writeHead(200, { 'Content-Type': 'application/json' });
    if (this.watchesServed++ === 0) {
      reply.end(JSON.stringify({ type: 'ERROR', object: { code: 410, reason: 'Expired' } }) +
        '\n');
      return;
    }
    // A correct stream sends every event after rv; the bugs start one too early or too late.
    const from = this.bug === 'resume-duplicates' ? rv - 1
      : this.bug === 'resume-skips' ? rv + 1 : rv;
    const state = { after: from, sent: 0 };
    (reply as ServerResponse & { state?: typeof state }).state = state;
    this.streams.add(reply);
    reply.on('close', () => this.streams.delete(reply));
    this.flush(reply);
  }

  private flush(reply: ServerResponse): void {
    const state = (reply as ServerResponse & { state?: { after: number; sent: number } }).state!;
    for (const event of this.log) {
      if (event.rv <= state.after) continue;
      state.after = event.rv;
      state.sent++;
      reply.write(JSON.stringify({ type: event.type, object: this.object(event.name, event) }) +
        '\n');
    }
    if (state.sent >= 5) {
      this.streams.delete(reply);
      reply.end();
    }
  }
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Runs the workload against a fake with `bug` until `enough` holds (deadline 10 s). */
async function runAgainst(bug: Bug, enough = (history: History): boolean =>
  history.watches.length >= 8 && history.operations.length >= 150): Promise<History> {
  const fake = new FakeAPI(bug);
  servers.push(fake.server);
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  const history: History = { seed: 1, operations: [], watches: [], faults: [] };
  let id = 1;
  const started = Date.now();
  const workload = new K8sWorkload({
    endpoints: () => new Map([['p1', fake.url()], ['p2', fake.url()]]), clients: 2,
    watchers: 2, namespace: 'chaos', names: ['k0', 'k1'], requestTimeoutMs: 1000,
    random: new SeededRandom(7), clock: { nowMs: () => Date.now() - started,
      nextOperationId: () => id++ },
    operations: history.operations, sessions: history.watches, operationsMax: 400,
    eventsMax: 10_000,
  });
  const stop = new AbortController();
  const running = workload.run(stop.signal);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !enough(history)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  stop.abort();
  await running;
  return history;
}

function broken(history: History): string[] {
  return checkWatches(history).guarantees.filter((g) => g.verdict === 'violation')
    .map((g) => g.guarantee);
}

describe('k8s workload against a fake API', () => {
  it('records a clean history: re-list after 410, re-watch from the last resourceVersion',
    async () => {
      const history = await runAgainst('none');
      expect(history.watches.filter((s) => s.endReason === 'compacted').length).toBe(1);
      expect(history.watches.length).toBeGreaterThanOrEqual(8);
      expect(history.operations.filter((op) => op.kind === 'cas' && op.outcome === 'ok')
        .length).toBeGreaterThan(10);
      expect(broken(history)).toEqual([]);
      expect(checkLinearizability(history.operations).verdict).toBe('ok');
    }, 20_000);

  it('flags a server that re-delivers the event a watch resumed from', async () => {
    expect(broken(await runAgainst('resume-duplicates'))).toContain('unique');
  }, 20_000);

  it('flags a server that skips the first event after a resume', async () => {
    const guarantees = broken(await runAgainst('resume-skips'));
    expect(guarantees).toContain('resumable');
  }, 20_000);

  it('flags a server whose reads are stale (linearizability)', async () => {
    // NB: every update after the first then conflicts, so no watch stream ever ends.
    const history = await runAgainst('stale-reads', (recorded) =>
      recorded.operations.length >= 150);
    expect(checkLinearizability(history.operations).verdict).toBe('violation');
  }, 20_000);
});
