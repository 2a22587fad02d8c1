/**
 * @module resources/printing
 * Table cell helpers shared by every kind, matching kubectl's server-side printers
 * (k8s.io/kubernetes/pkg/printers/internalversion/printers.go): upstream's
 * `duration.HumanDuration` age strings ("45s", "5m30s", "3h20m", "2d3h", "2y30d"),
 * `translateTimestampSince` ("<unknown>" for a missing timestamp), label and label-selector
 * formatting (`labels.FormatLabels`, `metav1.FormatLabelSelector`), the container
 * names/images cells, and the shared Name and Age column definitions. The server always
 * prints the wide columns (kubectl hides priority 1 columns itself). Time comes in as `now`.
 */
import type { TableColumn } from './types.js';
import { arrayAt, isRecord, recordsAt, stringAt, stringMapAt } from './object-access.js';
import type { MutableRecord } from './object-access.js';

const secondMs = 1000;
const minuteMs = 60 * secondMs;
const hourMs = 60 * minuteMs;

/**
 * Returns upstream's HumanDuration of `durationMs`: about two significant figures, with
 * up to one second of negative skew shown as "0s" and more as "<invalid>".
 */
export function humanDuration(durationMs: number): string {
  const seconds = Math.trunc(durationMs / secondMs);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(durationMs / minuteMs);
  if (minutes < 10) {
    const remainder = seconds % 60;
    return remainder === 0 ? `${minutes}m` : `${minutes}m${remainder}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(durationMs / hourMs);
  if (hours < 8) {
    const remainder = minutes % 60;
    return remainder === 0 ? `${hours}h` : `${hours}h${remainder}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const remainder = hours % 24;
    const days = Math.trunc(hours / 24);
    return remainder === 0 ? `${days}d` : `${days}d${remainder}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  const years = Math.trunc(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${years}y`;
}

/**
 * Returns the age of an RFC 3339 `timestamp` at `now` as upstream's translateTimestampSince:
 * "<unknown>" when the timestamp is absent or unparsable.
 */
export function translateTimestampSince(timestamp: string | undefined, now: Date): string {
  if (timestamp === undefined || timestamp === '') return '<unknown>';
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return '<unknown>';
  return humanDuration(now.getTime() - at);
}

/** Formats labels as `labels.FormatLabels`: sorted `k=v` joined by ",", "<none>" if empty. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((key) => `${key}=${labels[key] ?? ''}`).join(',');
}

/**
 * Formats a metav1.LabelSelector as `metav1.FormatLabelSelector`: matchLabels as `k=v`,
 * expressions as `k in (a,b)`, `k notin (a)`, `k`, `!k`, sorted; "<none>" when empty;
 * "<error>" for an unknown operator. An absent selector prints "<none>".
 */
export function formatLabelSelector(selector: MutableRecord | undefined): string {
  if (selector === undefined) return '<none>';
  const requirements: { key: string; text: string }[] = [];
  const matchLabels = stringMapAt(selector, 'matchLabels');
  for (const key of Object.keys(matchLabels)) {
    requirements.push({ key, text: `${key}=${matchLabels[key] ?? ''}` });
  }
  for (const expression of recordsAt(selector, 'matchExpressions')) {
    const text = formatRequirement(expression);
    if (text === undefined) return '<error>';
    requirements.push({ key: stringAt(expression, 'key'), text });
  }
  if (requirements.length === 0) return '<none>';
  requirements.sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : 0));
  return requirements.map((requirement) => requirement.text).join(',');
}

function formatRequirement(expression: MutableRecord): string | undefined {
  const key = stringAt(expression, 'key');
  const values = arrayAt(expression, 'values')
    .filter((value): value is string => typeof value === 'string')
    .sort();
  switch (stringAt(expression, 'operator')) {
    case 'In': return `${key} in (${values.join(',')})`;
    case 'NotIn': return `${key} notin (${values.join(',')})`;
    case 'Exists': return key;
    case 'DoesNotExist': return `!${key}`;
    default: return undefined;
  }
}

/** Returns the Containers and Images cells: names and images joined by ",". */
export function containerCells(podSpec: MutableRecord | undefined): [string, string] {
  const containers = recordsAt(podSpec, 'containers');
  return [
    containers.map((container) => stringAt(container, 'name')).join(','),
    containers.map((container) => stringAt(container, 'image')).join(','),
  ];
}

/** Returns `metadata` of an object as a record ({} when it is malformed). */
export function metadataOf(object: { metadata: unknown }): MutableRecord {
  return isRecord(object.metadata) ? object.metadata : {};
}

/** The Name column every kind but Event starts with. */
export const nameColumn: TableColumn = {
  name: 'Name', type: 'string', format: 'name', priority: 0,
  description: 'Name must be unique within a namespace. Is required when creating resources, ' +
    'although some resources may allow a client to request the generation of an appropriate ' +
    'name automatically. Name is primarily intended for creation idempotence and ' +
    'configuration definition. Cannot be updated.',
};

/** The Age column (creationTimestamp, rendered by translateTimestampSince). */
export const ageColumn: TableColumn = {
  name: 'Age', type: 'string', format: '', priority: 0,
  description: 'CreationTimestamp is a timestamp representing the server time when this ' +
    'object was created. It is not guaranteed to be set in happens-before order across ' +
    'separate operations. Clients may not set this value. It is represented in RFC3339 form ' +
    'and is in UTC.',
};

/** Builds a TableColumn with an empty format. */
export function column(
  name: string,
  type: TableColumn['type'],
  description: string,
  priority = 0,
): TableColumn {
  return { name, type, format: '', description, priority };
}

/** The wide Containers / Images / Selector columns of workload kinds. */
export const workloadWideColumns: readonly TableColumn[] = [
  column('Containers', 'string', 'Names of each container in the template.', 1),
  column('Images', 'string', 'Images referenced by each container in the template.', 1),
  column('Selector', 'string', 'Label query over pods that should match the replica count.', 1),
];
