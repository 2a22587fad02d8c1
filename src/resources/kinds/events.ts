/**
 * @module resources/kinds/events
 * core/v1 Event: the legacy validation (the event's namespace must match its involved
 * object's), the `kubectl get events` columns (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE;
 * wide SUBOBJECT, SOURCE, FIRST SEEN, COUNT, NAME) with printEvent's timestamp and count
 * fallbacks (eventTime, series), and the event field selectors of
 * pkg/registry/core/event/strategy.go (involvedObject.*, reason, reportingComponent, source,
 * type).
 */
import type { FieldError, KubeObject, TableCell } from '../types.js';
import { fieldInvalid } from '../field-errors.js';
import { nameIsDNSSubdomain } from '../meta-validation.js';
import { numberAt, recordAt, stringAt } from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import { column, nameColumn, translateTimestampSince } from '../printing.js';
import { defineKind } from './common.js';

function involvedObject(event: KubeObject): MutableRecord {
  return recordAt(event, 'involvedObject') ?? {};
}

function validateEvent(event: KubeObject): FieldError[] {
  const involvedNamespace = stringAt(involvedObject(event), 'namespace');
  const namespace = event.metadata.namespace ?? '';
  // NB: an event about a cluster-scoped object may live in "default" (old clients).
  const agrees = involvedNamespace === ''
    ? namespace === '' || namespace === 'default'
    : namespace === involvedNamespace;
  return agrees ? [] : [fieldInvalid('involvedObject.namespace', involvedNamespace,
    'does not match event.namespace')];
}

/** SOURCE: component (or reportingController), then ", host" (or reportingInstance). */
function eventSource(event: KubeObject): string {
  const source = recordAt(event, 'source');
  const component = stringAt(source, 'component') || stringAt(event, 'reportingController');
  const instance = stringAt(source, 'host') || stringAt(event, 'reportingInstance');
  return instance === '' ? component : `${component}, ${instance}`;
}

function eventCells(event: KubeObject, now: Date): TableCell[] {
  const firstTimestamp = stringAt(event, 'firstTimestamp');
  const first = translateTimestampSince(firstTimestamp || stringAt(event, 'eventTime'), now);
  const lastTimestamp = stringAt(event, 'lastTimestamp');
  let last = lastTimestamp === '' ? first : translateTimestampSince(lastTimestamp, now);
  let count = numberAt(event, 'count') ?? 0;
  const series = recordAt(event, 'series');
  if (series !== undefined) {
    last = translateTimestampSince(stringAt(series, 'lastObservedTime'), now);
    count = numberAt(series, 'count') ?? 0;
  } else if (count === 0) {
    count = 1; // NB: singleton events of the events.k8s.io API carry no count.
  }
  const involved = involvedObject(event);
  const kind = stringAt(involved, 'kind').toLowerCase();
  const name = stringAt(involved, 'name');
  return [
    last, stringAt(event, 'type'), stringAt(event, 'reason'),
    name === '' ? kind : `${kind}/${name}`, stringAt(involved, 'fieldPath'), eventSource(event),
    stringAt(event, 'message').trim(), first, count, event.metadata.name ?? '',
  ];
}

function eventFieldLabels(event: KubeObject): Record<string, string> {
  const involved = involvedObject(event);
  const labels: Record<string, string> = {};
  for (const key of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion',
    'fieldPath']) {
    labels[`involvedObject.${key}`] = stringAt(involved, key);
  }
  return {
    ...labels,
    reason: stringAt(event, 'reason'),
    reportingComponent: stringAt(event, 'reportingController'),
    source: stringAt(recordAt(event, 'source'), 'component')
      || stringAt(event, 'reportingController'),
    type: stringAt(event, 'type'),
  };
}

/** The core/v1 Event definition. */
export const eventDefinition = defineKind({
  group: '', version: 'v1', kind: 'Event', resource: 'events', singular: 'event',
  namespaced: true, shortNames: ['ev'],
  hasGeneration: false, hasStatus: false, nameValidator: nameIsDNSSubdomain,
  // NB: upstream puts Last Seen first and Name last (wide only) for events.
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this ' +
      'event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be ' +
      'added in the future'),
    column('Reason', 'string', 'This should be a short, machine understandable string that ' +
      'gives the reason for the transition into the object\'s current status.'),
    column('Object', 'string', 'The object that this event is about.'),
    column('Subobject', 'string', 'If referring to a piece of an object instead of an entire ' +
      'object, this string should contain a valid JSON/Go field access statement.', 1),
    column('Source', 'string', 'The component reporting this event. Should be a short ' +
      'machine understandable string.', 1),
    column('Message', 'string', 'A human-readable description of the status of this ' +
      'operation.'),
    column('First Seen', 'string', 'The time at which the event was first recorded. (Time of ' +
      'server receipt is in TypeMeta.)', 1),
    column('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...nameColumn, priority: 1 },
  ],
  validateKind: validateEvent,
  tableCells: eventCells,
  kindFieldLabels: eventFieldLabels,
});
