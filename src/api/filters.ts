/**
 * @module api/filters
 * `labelSelector` and `fieldSelector` of a LIST, WATCH or DELETECOLLECTION turned into one
 * predicate over objects. A field the kind cannot select on is a 400
 * (`field label not supported: x`), as upstream.
 */
import type { KubeObject, ResourceDefinition } from '../resources/types.js';
import { matches as matchesFields, parseFieldSelector } from './selectors/field-selector.js';
import { matches as matchesLabels, parseLabelSelector } from './selectors/label-selector.js';
import { newBadRequest } from './status.js';

function parseOrBadRequest<T>(parse: () => T, what: string): T {
  try {
    return parse();
  } catch (error) {
    throw newBadRequest(`unable to parse requirement: ${what}: ${
      error instanceof Error ? error.message : String(error)}`);
  }
}

/** The predicate of a request without selectors (callers skip parsing objects for it). */
export const matchEverything = (_object: KubeObject): boolean => true;

/** Builds the predicate of a request's selectors (everything matches when none is given). */
export function buildFilter(definition: ResourceDefinition, query: URLSearchParams):
  (object: KubeObject) => boolean {
  const labelText = query.get('labelSelector') ?? '';
  const fieldText = query.get('fieldSelector') ?? '';
  const labels = labelText.trim() === '' ? undefined
    : parseOrBadRequest(() => parseLabelSelector(labelText), 'labelSelector');
  const fields = fieldText.trim() === '' ? undefined
    : parseOrBadRequest(() => parseFieldSelector(fieldText), 'fieldSelector');
  if (fields !== undefined) {
    const supported = new Set(Object.keys(definition.fieldLabels(sampleObject(definition))));
    for (const requirement of fields.requirements) {
      if (!supported.has(requirement.field)) {
        throw newBadRequest(`field label not supported: ${requirement.field}`);
      }
    }
  }
  if (labels === undefined && fields === undefined) return matchEverything;
  return (object) => {
    if (labels !== undefined && !matchesLabels(labels, object.metadata.labels)) return false;
    return fields === undefined || matchesFields(fields, definition.fieldLabels(object));
  };
}

/** An empty object of the kind, to learn which field labels it supports. */
function sampleObject(definition: ResourceDefinition): KubeObject {
  return {
    apiVersion: definition.group === '' ? definition.version
      : `${definition.group}/${definition.version}`,
    kind: definition.kind, metadata: { name: '', namespace: '' },
  };
}
