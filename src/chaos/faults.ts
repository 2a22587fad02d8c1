/**
 * @module chaos/faults
 * Fault injection on a seeded schedule. Faults run one at a time: the schedule picks a kind
 * and a target from the seed, injects it, holds it for a while, heals it, lets the cluster
 * breathe, and records each fault's span for the checkers and the report. The same seed
 * replays the same schedule of kinds, targets and durations (the system's own timing is
 * real, so outcomes can differ).
 */
import type { SeededRandom } from '../util/prng.js';
import type { ChaosCluster } from './chaos-cluster.js';
import type { FaultRecord } from './history.js';
import type { LinkProxy } from './proxy.js';

/** Every fault kind `--faults` accepts. */
export const faultKinds = [
  'kill', 'kill-leader', 'pause', 'pause-leader', 'partition', 'partition-leader', 'split',
  'oneway', 'bridge', 'latency', 'loss', 'membership', 'powercut', 'failpoint',
] as const;

/** FaultKind is one kind of fault. */
export type FaultKind = (typeof faultKinds)[number];

/** Failpoints the `failpoint` fault arms (storage/failpoints grammar). */
const failpointSpecs = [
  'crash-before-persist:3', 'crash-after-persist:3', 'crash-during-snapshot-install',
  'sync-delay-ms:200',
];

/** FaultContext is what injectors need. */
export interface FaultContext {
  readonly cluster: ChaosCluster;
  readonly random: SeededRandom;
  readonly nowMs: () => number;
  readonly faults: FaultRecord[];
  /** Client endpoint through which membership changes are made. */
  readonly admin: (endpoint: string) => AdminOps;
}

/** AdminOps are the membership operations the membership fault uses. */
export interface AdminOps {
  memberList(): Promise<Array<{ ID: number; name: string; isLearner: boolean }>>;
  memberRemove(id: number): Promise<void>;
  memberPromote(id: number): Promise<void>;
  close(): void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

function runningMembers(context: FaultContext): string[] {
  return context.cluster.members().filter((name) => context.cluster.alive(name));
}

/** Injects faults until `signal` aborts; every fault is healed before the next one. */
export async function runFaultSchedule(context: FaultContext, kinds: readonly FaultKind[],
  signal: AbortSignal): Promise<void> {
  if (kinds.length === 0) return;
  await sleep(1500, signal);
  while (!signal.aborted) {
    const kind = context.random.pick(kinds);
    const holdMs = 1000 + context.random.int(2500);
    await injectOne(context, kind, holdMs, signal);
    await sleep(1000 + context.random.int(1500), signal);
  }
}

async function injectOne(context: FaultContext, kind: FaultKind, holdMs: number,
  signal: AbortSignal): Promise<void> {
  const members = runningMembers(context);
  if (members.length === 0) return;
  const leader = kind.endsWith('leader') ? await context.cluster.leader() : null;
  const target = leader ?? context.random.pick(members);
  const record: FaultRecord = { kind, target, startMs: context.nowMs(), endMs: null };
  context.faults.push(record);
  const heal = await inject(context, kind, target, members);
  await sleep(holdMs, signal);
  await heal();
  record.endMs = context.nowMs();
}

type Heal = () => Promise<void>;

async function inject(context: FaultContext, kind: FaultKind, target: string,
  members: readonly string[]): Promise<Heal> {
  const cluster = context.cluster;
  switch (kind) {
    case 'kill':
    case 'kill-leader':
      await cluster.kill(target);
      return () => Promise.resolve(cluster.spawn(target));
    case 'pause':
    case 'pause-leader':
      cluster.setPaused(target, true);
      return () => Promise.resolve(cluster.setPaused(target, false));
    case 'partition':
    case 'partition-leader':
      return cutGroups(context, [target], members.filter((name) => name !== target), true);
    case 'split': {
      const shuffled = shuffle(context.random, members);
      const minority = shuffled.slice(0, Math.floor(members.length / 2));
      return cutGroups(context, minority, shuffled.slice(minority.length), true);
    }
    case 'oneway':
      return cutGroups(context, [target], members.filter((name) => name !== target), false);
    case 'bridge':
      return bridge(context, members);
    case 'latency':
    case 'loss':
      return degrade(context, kind, target, members);
    case 'membership':
      return replaceMember(context, members);
    case 'powercut':
      return powercut(context, members);
    case 'failpoint':
      return armFailpoint(context, target);
  }
}

function shuffle<T>(random: SeededRandom, items: readonly T[]): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

/** Cuts links from `left` to `right` (and back when `both`). */
function cutGroups(context: FaultContext, left: readonly string[], right: readonly string[],
  both: boolean): Promise<Heal> {
  const links: LinkProxy[] = [];
  for (const a of left) {
    for (const b of right) {
      links.push(context.cluster.link(a, b));
      if (both) links.push(context.cluster.link(b, a));
    }
  }
  for (const link of links) link.block();
  return Promise.resolve(() => {
    for (const link of links) link.unblock();
    return Promise.resolve();
  });
}

/** Splits the others in two groups that cannot talk, with one bridge peer seeing both. */
function bridge(context: FaultContext, members: readonly string[]): Promise<Heal> {
  const shuffled = shuffle(context.random, members);
  const others = shuffled.slice(1);
  const half = Math.max(1, Math.floor(others.length / 2));
  return cutGroups(context, others.slice(0, half), others.slice(half), true);
}

function degrade(context: FaultContext, kind: 'latency' | 'loss', target: string,
  members: readonly string[]): Promise<Heal> {
  const links = members.filter((name) => name !== target)
    .flatMap((name) => [context.cluster.link(target, name), context.cluster.link(name, target)]);
  for (const link of links) {
    if (kind === 'latency') link.state.delayMs = 50 + context.random.int(150);
    else link.state.lossRate = 0.02 + context.random.float() * 0.08;
  }
  return Promise.resolve(() => {
    for (const link of links) link.heal();
    return Promise.resolve();
  });
}

async function powercut(context: FaultContext, members: readonly string[]): Promise<Heal> {
  // The whole cluster loses power at the same instant: only what was fsynced survives.
  const victims = [...members];
  await Promise.all(victims.map((name) => context.cluster.kill(name)));
  return () => {
    for (const name of victims) context.cluster.spawn(name);
    return Promise.resolve();
  };
}

async function armFailpoint(context: FaultContext, target: string): Promise<Heal> {
  const spec = context.random.pick(failpointSpecs);
  context.faults.at(-1)!.endMs = null;
  Object.assign(context.faults.at(-1)!, { detail: spec });
  await context.cluster.kill(target);
  context.cluster.envByPeer.set(target, { CORACLE_FAILPOINTS: spec });
  context.cluster.spawn(target);
  return async () => {
    context.cluster.envByPeer.delete(target);
    await context.cluster.kill(target);
    context.cluster.spawn(target);
  };
}

async function replaceMember(context: FaultContext, members: readonly string[]): Promise<Heal> {
  const cluster = context.cluster;
  const spare = [...cluster.peers.values()].find((peer) => peer.child === null &&
    peer.generation === 0 && !peer.founding);
  const leader = await cluster.leader();
  if (spare === undefined || leader === null || members.length < 3) return () => Promise.resolve();
  const admin = context.admin(cluster.endpoint(leader));
  try {
    const victim = context.random.pick(members.filter((name) => name !== leader));
    const list = await admin.memberList();
    const victimId = list.find((member) => member.name === victim)?.ID;
    if (victimId === undefined) return () => Promise.resolve();
    await admin.memberRemove(victimId);
    await cluster.retire(victim);
    cluster.spawn(spare.name, cluster.endpoint(leader));
    return () => promoteWhenReady(context, admin, spare.name);
  } catch {
    admin.close();
    return () => Promise.resolve();
  }
}

async function promoteWhenReady(context: FaultContext, admin: AdminOps, name: string):
  Promise<void> {
  try {
    for (let attempt = 0; attempt < 40; attempt++) {
      const member = (await admin.memberList()).find((candidate) => candidate.name === name);
      if (member !== undefined && !member.isLearner) return;
      if (member !== undefined) {
        try {
          await admin.memberPromote(member.ID);
          return;
        } catch {
          // Not caught up yet: try again shortly.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    admin.close();
  }
}
