/**
 * Goal: fieldValidation on object bodies answers with upstream's exact Status messages,
 * which kubectl prints verbatim. A create or update body that fails Strict carries the
 * prefix of the apiserver's `transformDecodeError` (`<Kind> in version "<v>" cannot be
 * handled as a <Kind>: strict decoding error: ...`), while patches keep the bare
 * `strict decoding error: ...` of the patch handler; Warn returns the same problems as
 * warnings and Ignore returns none.
 * Method: table tests over `checkObjectFields` and `checkFields` with the served ConfigMap and
 * Deployment definitions and hand-built bodies.
 */
import { describe, expect, it } from 'vitest';
import { checkFields, checkObjectFields } from '../../src/api/codecs.js';
import { APIError } from '../../src/api/status.js';
import { configMapDefinition } from '../../src/resources/kinds/config.js';
import { deploymentDefinition } from '../../src/resources/kinds/workloads.js';
import type { JSONValue, ResourceDefinition } from '../../src/resources/types.js';

/** Returns the APIError `run` throws (failing when it throws nothing or something else). */
function thrownBy(run: () => unknown): APIError {
  try {
    run();
  } catch (error) {
    if (error instanceof APIError) return error;
    throw error;
  }
  throw new Error('expected an APIError');
}

const configMapBody: JSONValue = {
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'strict' }, data: { a: '1' },
  bogus: true,
};

describe('checkObjectFields (create and update bodies)', () => {
  it.each<[string, ResourceDefinition, JSONValue, readonly string[], string]>([
    ['an unknown top-level field', configMapDefinition, configMapBody, [],
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: ' +
      'unknown field "bogus"'],
    ['a nested unknown field and a duplicate', deploymentDefinition,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
        spec: { replica: 2 } }, ['duplicate field "metadata.name"'],
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ' +
      'unknown field "spec.replica", duplicate field "metadata.name"'],
  ])('Strict rejects %s with upstream\'s create/update message', (_name, definition, value,
    warnings, message) => {
    const error = thrownBy(() => checkObjectFields(definition, { value, warnings: [...warnings] },
      'Strict'));
    expect(error.httpCode).toBe(400);
    expect(error.reason).toBe('BadRequest');
    expect(error.message).toBe(message);
  });

  it('returns the problems as warnings under Warn and nothing under Ignore', () => {
    const decoded = { value: configMapBody, warnings: ['duplicate field "data.a"'] };
    expect(checkObjectFields(configMapDefinition, decoded, 'Warn'))
      .toEqual(['unknown field "bogus"', 'duplicate field "data.a"']);
    expect(checkObjectFields(configMapDefinition, decoded, 'Ignore')).toEqual([]);
  });

  it('accepts a clean body under Strict', () => {
    const { bogus: _dropped, ...clean } = configMapBody as Record<string, JSONValue>;
    expect(checkObjectFields(configMapDefinition, { value: clean, warnings: [] }, 'Strict'))
      .toEqual([]);
  });
});

describe('checkFields (patched objects)', () => {
  it('keeps the bare strict decoding message of the patch handler', () => {
    const error = thrownBy(() => checkFields(configMapDefinition, configMapBody, [], 'Strict'));
    expect(error.httpCode).toBe(400);
    expect(error.message).toBe('strict decoding error: unknown field "bogus"');
  });
});
