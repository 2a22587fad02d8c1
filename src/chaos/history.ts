/**
 * @module chaos/history
 * The recorded history of a chaos run: every client operation with its invocation and
 * completion times and outcome, every watch event each watcher received, and every fault
 * injected. Checkers read it; the report draws it.
 *
 * Outcomes follow Jepsen: `ok` (it happened, with this result), `fail` (it definitely did
 * not happen: the server refused it before any effect) and `unknown` (a timeout or a lost
 * connection: it may have taken effect at any time after its invocation, or never).
 */

/** OperationKind is what a register client did. */
export type OperationKind = 'read' | 'write' | 'cas';

/** Outcome of one operation (see the module comment). */
export type Outcome = 'ok' | 'fail' | 'unknown';

/** Operation is one client call on one register (an etcd key). */
export interface Operation {
  /** Unique, increasing in invocation order. */
  readonly id: number;
  /** The client (one logical thread: its operations never overlap). */
  readonly client: number;
  /** The peer the client sent it to. */
  readonly peer: string;
  readonly kind: OperationKind;
  readonly key: string;
  /** write: the value written; cas: the new value. Values are unique per key. */
  readonly value?: string;
  /** cas: the value it expects (null: the key must be absent). */
  readonly expected?: string | null;
  /** Milliseconds since the run started. */
  readonly invokeMs: number;
  /** Null when the outcome is unknown (the operation never returned). */
  readonly completeMs: number | null;
  readonly outcome: Outcome;
  /** read: the value read (null: absent). */
  readonly read?: string | null;
  /** cas: whether the compare succeeded (only meaningful when outcome is ok). */
  readonly succeeded?: boolean;
  /** The store revision of the response (ok outcomes), for the report. */
  readonly revision?: number;
  /** The error message (fail and unknown outcomes). */
  readonly error?: string;
}

/** WatchEventRecord is one event a watcher received. */
export interface WatchEventRecord {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly value: string | null;
  readonly modRevision: number;
  readonly receivedMs: number;
}

/** WatchSession is one watch stream: from its start revision until it ended. */
export interface WatchSession {
  readonly watcher: number;
  readonly peer: string;
  /** The first revision requested (the previous session's last revision + 1 on resume). */
  readonly startRevision: number;
  readonly events: WatchEventRecord[];
  /** Progress notifications (bookmarks): revisions the watcher was told it had seen. */
  readonly progressRevisions: number[];
  /** Why the session ended ('' while open; 'compacted' when the server cancelled it so). */
  endReason: string;
}

/** FaultRecord is one injected fault with its time span. */
export interface FaultRecord {
  readonly kind: string;
  readonly target: string;
  readonly startMs: number;
  endMs: number | null;
  readonly detail?: string;
}

/** History is a whole run's record. */
export interface History {
  readonly seed: number;
  readonly operations: Operation[];
  readonly watches: WatchSession[];
  readonly faults: FaultRecord[];
}
