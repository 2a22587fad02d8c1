/**
 * @module resources/object-access
 * Typed, total accessors over the loosely typed JSON of a KubeObject. Kind code reads
 * `object.spec.template.spec.containers[0].image` through these helpers so a missing or
 * mistyped field reads as absent (structural validation and strict decoding live elsewhere;
 * defaults and validation must never crash on a malformed body). Pure functions.
 */

/** MutableRecord is a JSON object as kind code reads and mutates it. */
export type MutableRecord = Record<string, unknown>;

/** Returns true when `value` is a plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is MutableRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the object at `key`, or undefined when it is absent or not an object. */
export function recordAt(parent: MutableRecord, key: string): MutableRecord | undefined {
  const value = parent[key];
  return isRecord(value) ? value : undefined;
}

/** Returns the object at `key`, creating `{}` there first when it is absent or not one. */
export function ensureRecord(parent: MutableRecord, key: string): MutableRecord {
  const value = parent[key];
  if (isRecord(value)) return value;
  const created: MutableRecord = {};
  parent[key] = created;
  return created;
}

/** Returns the array at `key`, or [] when it is absent or not an array. */
export function arrayAt(parent: MutableRecord | undefined, key: string): readonly unknown[] {
  const value = parent?.[key];
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** Returns the objects of the array at `key`, skipping elements that are not objects. */
export function recordsAt(parent: MutableRecord | undefined, key: string): MutableRecord[] {
  return arrayAt(parent, key).filter(isRecord);
}

/** Returns the string elements of the array at `key` (others skipped). */
export function stringsAt(parent: MutableRecord | undefined, key: string): string[] {
  return arrayAt(parent, key).filter((item): item is string => typeof item === 'string');
}

/** Returns the string at `key`, or '' when it is absent or not a string (Go's zero value). */
export function stringAt(parent: MutableRecord | undefined, key: string): string {
  const value = parent?.[key];
  return typeof value === 'string' ? value : '';
}

/** Returns the number at `key`, or undefined when it is absent or not a number. */
export function numberAt(parent: MutableRecord | undefined, key: string): number | undefined {
  const value = parent?.[key];
  return typeof value === 'number' ? value : undefined;
}

/** Returns the boolean at `key`, or undefined when it is absent or not a boolean. */
export function booleanAt(parent: MutableRecord | undefined, key: string): boolean | undefined {
  const value = parent?.[key];
  return typeof value === 'boolean' ? value : undefined;
}

/**
 * Returns the string-valued entries of the map at `key` (labels, selectors, data); entries
 * whose value is not a string are skipped. Absent maps read as {}.
 */
export function stringMapAt(
  parent: MutableRecord | undefined,
  key: string,
): Record<string, string> {
  const value = parent?.[key];
  const result: Record<string, string> = {};
  if (!isRecord(value)) return result;
  for (const [entryKey, entryValue] of Object.entries(value)) {
    if (typeof entryValue === 'string') result[entryKey] = entryValue;
  }
  return result;
}

/** Follows `path` through nested objects; undefined as soon as a step is not an object. */
export function recordPath(
  root: MutableRecord | undefined,
  path: readonly string[],
): MutableRecord | undefined {
  let current: MutableRecord | undefined = root;
  for (const key of path) {
    if (current === undefined) return undefined;
    current = recordAt(current, key);
  }
  return current;
}

/** Sets `key` to `value` when the key is absent (undefined or null), as Go defaulting does. */
export function setDefault(parent: MutableRecord, key: string, value: unknown): void {
  if (parent[key] === undefined || parent[key] === null) parent[key] = value;
}

/** Deep structural equality of two JSON values (key order does not matter). */
export function jsonEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right)) return false;
    if (left.length !== right.length) return false;
    return left.every((item, index) => jsonEqual(item, right[index]));
  }
  if (!isRecord(left) || !isRecord(right)) return false;
  const leftKeys = Object.keys(left).filter((key) => left[key] !== undefined);
  const rightKeys = Object.keys(right).filter((key) => right[key] !== undefined);
  if (leftKeys.length !== rightKeys.length) return false;
  return leftKeys.every((key) => jsonEqual(left[key], right[key]));
}

/** Returns a deep copy of a JSON value. */
export function jsonClone<T>(value: T): T {
  return structuredClone(value);
}
