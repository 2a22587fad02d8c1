/**
 * A small synchronous cluster harness for focused Raft unit tests: every node's Ready is
 * processed in the documented order (persist, send, apply, advance) and messages are
 * delivered from one FIFO queue until the cluster is quiet. Tests control the network with
 * per-link filters, so a scenario from the Raft paper can be written step by step.
 */
import { makeRaftConfig } from '../../src/raft/config.js';
import type { RaftConfigInput } from '../../src/raft/config.js';
import { bootstrapState, joinerState, RaftNode } from '../../src/raft/raft.js';
import type { PersistedState } from '../../src/raft/raft.js';
import { EntryType, Role } from '../../src/raft/types.js';
import type { Entry, Message, NodeId, ReadState, Snapshot } from '../../src/raft/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { SeededRandom } from '../../src/util/prng.js';

/** What a node keeps across a crash: only what was persisted. */
export interface Disk {
  hardState: PersistedState['hardState'];
  snapshot: Snapshot | null;
  entries: Entry[];
}

/** One simulated peer: its core, its disk and what it applied. */
export interface TestNode {
  raft: RaftNode;
  disk: Disk;
  applied: Entry[];
  appliedData: string[];
  readStates: ReadState[];
  restoredSnapshot: Snapshot | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a string proposal. */
export function data(text: string): Uint8Array {
  return encoder.encode(text);
}

/** TestCluster wires nodes together through a controllable in-memory network. */
export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  readonly queue: Message[] = [];
  readonly delivered: Message[] = [];
  /** Return false to drop a message. */
  filter: (message: Message) => boolean = () => true;
  /** Rewrites a message in flight (after the filter accepted it). */
  rewrite: (message: Message) => Message = (message) => message;
  private seed = 1;

  /** Creates a cluster of founding voters with optional config overrides. */
  constructor(ids: NodeId[], private readonly overrides: Partial<RaftConfigInput> = {}) {
    const state = bootstrapState(ids);
    for (const id of ids) {
      this.nodes.set(id, this.makeNode(id, {
        hardState: state.hardState, snapshot: null, entries: [...state.entries],
      }));
    }
    this.stabilize();
  }

  /** Adds a fresh node (to be added by a membership change) starting from an empty disk. */
  addJoiner(id: NodeId): TestNode {
    const empty = joinerState();
    const node = this.makeNode(id, { hardState: empty.hardState, snapshot: null, entries: [] });
    this.nodes.set(id, node);
    return node;
  }

  /** Returns node `id`, failing the test when it does not exist. */
  node(id: NodeId): TestNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Returns the raft core of node `id`. */
  raft(id: NodeId): RaftNode {
    return this.node(id).raft;
  }

  /** Crashes node `id` and restarts it from its disk (unpersisted state is lost). */
  restart(id: NodeId): void {
    const old = this.node(id);
    const disk = old.disk;
    const node = this.makeNode(id, {
      hardState: disk.hardState, snapshot: disk.snapshot, entries: [...disk.entries],
    });
    this.nodes.set(id, node);
  }

  /** Ticks `id` until it has ticked `count` times, processing Readys in between. */
  tick(id: NodeId, count = 1): void {
    for (let i = 0; i < count; i++) {
      this.raft(id).tick();
      this.stabilize();
    }
  }

  /** Ticks every node `count` times, stabilizing after each round. */
  tickAll(count = 1): void {
    for (let i = 0; i < count; i++) {
      for (const node of this.nodes.values()) node.raft.tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign by ticking it past its election timeout. */
  elect(id: NodeId): void {
    for (let i = 0; i < 100 && this.raft(id).status().role !== Role.Leader; i++) this.tick(id);
    if (this.raft(id).status().role !== Role.Leader) throw new Error(`${id} did not win`);
  }

  /** Returns the ids of the nodes that consider themselves leader. */
  leaders(): NodeId[] {
    return [...this.nodes.values()]
      .filter((node) => node.raft.status().role === Role.Leader)
      .map((node) => node.raft.id);
  }

  /** Processes Readys and delivers messages until nothing is left (bounded). */
  stabilize(messagesMax = 100_000): void {
    for (let round = 0; round < messagesMax; round++) {
      let progressed = false;
      for (const node of this.nodes.values()) {
        if (node.raft.hasReady()) {
          this.processReady(node);
          progressed = true;
        }
      }
      const message = this.queue.shift();
      if (message !== undefined) {
        progressed = true;
        const target = this.nodes.get(message.to);
        if (target !== undefined && this.filter(message)) {
          const rewritten = this.rewrite(message);
          this.delivered.push(rewritten);
          target.raft.step(rewritten);
        }
      }
      if (!progressed) return;
    }
    throw new Error('cluster did not stabilize');
  }

  private processReady(node: TestNode): void {
    const ready = node.raft.ready();
    const disk = node.disk;
    if (ready.snapshot !== null) {
      disk.snapshot = ready.snapshot;
      disk.entries = [];
    }
    if (ready.entries.length > 0) {
      const first = ready.entries[0]!.index;
      disk.entries = disk.entries.filter((entry) => entry.index < first).concat(ready.entries);
    }
    if (ready.hardState !== null) disk.hardState = ready.hardState;
    this.queue.push(...ready.messages);
    if (ready.snapshot !== null) {
      node.restoredSnapshot = ready.snapshot;
      const data = ready.snapshot.data;
      node.appliedData = decoder.decode(data.subarray(0, data.byteLength)).split(',')
        .filter((s) => s !== '');
    }
    for (const entry of ready.committedEntries) {
      node.applied.push(entry);
      if (entry.type === EntryType.Normal && entry.data.length > 0) {
        node.appliedData.push(decoder.decode(entry.data));
      }
    }
    node.readStates.push(...ready.readStates);
    node.raft.advance(ready);
  }

  /**
   * Takes a snapshot of `id`'s applied data at its applied index and compacts its log,
   * keeping the last `retainEntries` entries before the snapshot.
   */
  compact(id: NodeId, retainEntries = 0): void {
    const node = this.node(id);
    const index = node.raft.status().applied;
    const snapshotData = data(node.appliedData.join(','));
    node.raft.compact(index, snapshotData, retainEntries);
    const meta = node.raft.snapshotMeta();
    node.disk.snapshot = { meta, data: snapshotData };
    node.disk.entries = node.disk.entries.filter((entry) => entry.index > index - retainEntries);
  }

  private makeNode(id: NodeId, persisted: Disk): TestNode {
    const config = makeRaftConfig({
      id, random: new SeededRandom(this.seed++ * 7919 + id), logger: silentLogger,
      ...this.overrides,
    });
    const raft = new RaftNode(config, persisted);
    const appliedData = persisted.snapshot === null ? []
      : decoder.decode(persisted.snapshot.data.subarray(0, persisted.snapshot.data.byteLength))
        .split(',').filter((s) => s !== '');
    return {
      raft, disk: { ...persisted }, applied: [], appliedData, readStates: [],
      restoredSnapshot: null,
    };
  }
}
