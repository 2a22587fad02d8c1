/**
 * @module resources/kinds/pod-printing
 * The cells of `kubectl get pods`, after printPod in k8s.io/kubernetes
 * pkg/printers/internalversion/printers.go: READY "ready/total" (restartable init
 * containers, i.e. sidecars, count), STATUS (phase, or status.reason, then init container
 * progress "Init:1/2" / "Init:<reason>", then the waiting/terminated reason of the regular
 * containers such as ContainerCreating or CrashLoopBackOff, "Completed" turned back into
 * "Running"/"NotReady" while a container still runs, "Terminating" once deletionTimestamp is
 * set), RESTARTS "n" or "n (5m ago)", and the wide IP, NODE, NOMINATED NODE and READINESS
 * GATES cells.
 */
import type { KubeObject, TableCell } from '../types.js';
import {
  isRecord, numberAt, recordPath, recordsAt, stringAt,
} from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import { translateTimestampSince } from '../printing.js';

/** Restart bookkeeping: the count and the latest lastState.terminated.finishedAt. */
interface Restarts {
  count: number;
  lastMs: number | undefined;
}

function noteRestarts(status: MutableRecord, restarts: Restarts): void {
  restarts.count += numberAt(status, 'restartCount') ?? 0;
  const finishedAt = stringAt(recordPath(status, ['lastState', 'terminated']), 'finishedAt');
  const finishedMs = finishedAt === '' ? Number.NaN : Date.parse(finishedAt);
  const later = restarts.lastMs === undefined || finishedMs > restarts.lastMs;
  if (!Number.isNaN(finishedMs) && later) {
    restarts.lastMs = finishedMs;
  }
}

/** Reason of a terminated state: its reason, else "Signal:n" / "ExitCode:n". */
function terminatedReason(terminated: MutableRecord, prefix: string): string {
  const reason = stringAt(terminated, 'reason');
  if (reason !== '') return `${prefix}${reason}`;
  const signal = numberAt(terminated, 'signal') ?? 0;
  if (signal !== 0) return `${prefix}Signal:${signal}`;
  return `${prefix}ExitCode:${numberAt(terminated, 'exitCode') ?? 0}`;
}

function hasCondition(status: MutableRecord | undefined, type: string): boolean {
  return recordsAt(status, 'conditions')
    .some((condition) => stringAt(condition, 'type') === type
      && stringAt(condition, 'status') === 'True');
}

interface PodTally {
  reason: string;
  ready: number;
  total: number;
  all: Restarts;
  sidecars: Restarts;
  initializing: boolean;
}

/** Walks init container statuses as printPod does; stops at the first unfinished one. */
function tallyInitContainers(spec: MutableRecord | undefined, status: MutableRecord | undefined,
  tally: PodTally): void {
  const initContainers = recordsAt(spec, 'initContainers');
  const sidecarNames = new Set(initContainers
    .filter((container) => stringAt(container, 'restartPolicy') === 'Always')
    .map((container) => stringAt(container, 'name')));
  tally.total += sidecarNames.size;
  const statuses = recordsAt(status, 'initContainerStatuses');
  for (let index = 0; index < statuses.length; index += 1) {
    const container = statuses[index] ?? {};
    const sidecar = sidecarNames.has(stringAt(container, 'name'));
    noteRestarts(container, tally.all);
    if (sidecar) noteRestarts(container, tally.sidecars);
    const terminated = recordPath(container, ['state', 'terminated']);
    const waitingReason = stringAt(recordPath(container, ['state', 'waiting']), 'reason');
    if (terminated !== undefined && (numberAt(terminated, 'exitCode') ?? 0) === 0) continue;
    if (sidecar && container.started === true) {
      if (container.ready === true) tally.ready += 1;
      continue;
    }
    tally.initializing = true;
    if (terminated !== undefined) tally.reason = terminatedReason(terminated, 'Init:');
    else if (waitingReason !== '' && waitingReason !== 'PodInitializing') {
      tally.reason = `Init:${waitingReason}`;
    } else tally.reason = `Init:${index}/${initContainers.length}`;
    break;
  }
}

/** Walks regular container statuses last to first, as printPod does. */
function tallyContainers(status: MutableRecord | undefined, tally: PodTally): void {
  tally.all = { ...tally.sidecars };
  let hasRunning = false;
  const statuses = recordsAt(status, 'containerStatuses');
  for (let index = statuses.length - 1; index >= 0; index -= 1) {
    const container = statuses[index] ?? {};
    noteRestarts(container, tally.all);
    const waitingReason = stringAt(recordPath(container, ['state', 'waiting']), 'reason');
    const terminated = recordPath(container, ['state', 'terminated']);
    if (waitingReason !== '') tally.reason = waitingReason;
    else if (terminated !== undefined) tally.reason = terminatedReason(terminated, '');
    else if (container.ready === true
      && recordPath(container, ['state', 'running']) !== undefined) {
      hasRunning = true;
      tally.ready += 1;
    }
  }
  if (tally.reason === 'Completed' && hasRunning) {
    tally.reason = hasCondition(status, 'Ready') ? 'Running' : 'NotReady';
  }
}

/** Returns the READY, STATUS and RESTARTS cells of a pod at `now`. */
export function podStatusCells(pod: KubeObject, now: Date): [string, string, string] {
  const spec = isRecord(pod.spec) ? pod.spec : undefined;
  const status = isRecord(pod.status) ? pod.status : undefined;
  const phase = stringAt(status, 'phase');
  let reason = stringAt(status, 'reason') === '' ? phase : stringAt(status, 'reason');
  const gated = recordsAt(status, 'conditions').some((condition) =>
    stringAt(condition, 'type') === 'PodScheduled'
    && stringAt(condition, 'reason') === 'SchedulingGated');
  if (gated) reason = 'SchedulingGated';
  const tally: PodTally = {
    reason, ready: 0, total: recordsAt(spec, 'containers').length,
    all: { count: 0, lastMs: undefined }, sidecars: { count: 0, lastMs: undefined },
    initializing: false,
  };
  tallyInitContainers(spec, status, tally);
  if (!tally.initializing || hasCondition(status, 'Initialized')) tallyContainers(status, tally);
  if (pod.metadata.deletionTimestamp !== undefined) {
    if (stringAt(status, 'reason') === 'NodeLost') tally.reason = 'Unknown';
    else if (phase !== 'Succeeded' && phase !== 'Failed') tally.reason = 'Terminating';
  }
  let restarts = String(tally.all.count);
  if (tally.all.count !== 0 && tally.all.lastMs !== undefined) {
    const ago = translateTimestampSince(new Date(tally.all.lastMs).toISOString(), now);
    restarts = `${tally.all.count} (${ago} ago)`;
  }
  return [`${tally.ready}/${tally.total}`, tally.reason, restarts];
}

/** Returns the wide IP, NODE, NOMINATED NODE and READINESS GATES cells of a pod. */
export function podWideCells(pod: KubeObject): TableCell[] {
  const spec = isRecord(pod.spec) ? pod.spec : undefined;
  const status = isRecord(pod.status) ? pod.status : undefined;
  // NB: the internal Pod keeps only podIPs; conversion fills it from a v1 podIP alone.
  const podIP = stringAt(recordsAt(status, 'podIPs')[0], 'ip') || stringAt(status, 'podIP');
  const orNone = (text: string): string => (text === '' ? '<none>' : text);
  const gates = recordsAt(spec, 'readinessGates');
  let readinessGates = '<none>';
  if (gates.length > 0) {
    const conditions = recordsAt(status, 'conditions');
    const satisfied = gates.filter((gate) => {
      const condition = conditions.find((candidate) =>
        stringAt(candidate, 'type') === stringAt(gate, 'conditionType'));
      return condition !== undefined && stringAt(condition, 'status') === 'True';
    }).length;
    readinessGates = `${satisfied}/${gates.length}`;
  }
  return [orNone(podIP), orNone(stringAt(spec, 'nodeName')),
    orNone(stringAt(status, 'nominatedNodeName')), readinessGates];
}
