/**
 * Goal: field selectors parse, match and render as fields.ParseSelector does, with its
 * escaping rules and errors, and unsupported fields are reported as apiserver reports them.
 * Method: tables of selector strings with the terms they yield, match tables, error tables.
 */
import { describe, expect, it } from 'vitest';
import {
  checkFieldsSupported, fieldSelectorToString, matches, parseFieldSelector, requirements,
  type FieldRequirement,
} from '../../../src/api/selectors/field-selector.js';
import { SelectorError } from '../../../src/api/selectors/errors.js';

describe('parseFieldSelector', () => {
  it.each<[string, FieldRequirement[], string]>([
    ['', [], ''],
    ['metadata.name=web', [{ field: 'metadata.name', operator: '=', value: 'web' }],
      'metadata.name=web'],
    ['metadata.name==web', [{ field: 'metadata.name', operator: '=', value: 'web' }],
      'metadata.name=web'],
    ['status.phase!=Succeeded,status.phase!=Failed', [
      { field: 'status.phase', operator: '!=', value: 'Failed' },
      { field: 'status.phase', operator: '!=', value: 'Succeeded' },
    ], 'status.phase!=Failed,status.phase!=Succeeded'],
    ['spec.nodeName=', [{ field: 'spec.nodeName', operator: '=', value: '' }], 'spec.nodeName='],
    ['a=x\\,y', [{ field: 'a', operator: '=', value: 'x,y' }], 'a=x\\,y'],
    ['a=x\\=y\\\\', [{ field: 'a', operator: '=', value: 'x=y\\' }], 'a=x\\=y\\\\'],
    ['b=2,,a=1', [{ field: 'a', operator: '=', value: '1' }, { field: 'b', operator: '=',
      value: '2' }], 'a=1,b=2'],
  ])('%j', (text, expected, rendered) => {
    const selector = parseFieldSelector(text);
    expect(requirements(selector)).toEqual(expected);
    expect(fieldSelectorToString(selector)).toBe(rendered);
  });

  it.each<[string, string]>([
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
    ['a==b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a!=b=c', 'invalid field selector: unescaped character in value: 61'],
  ])('%j is rejected', (text, message) => {
    expect(() => parseFieldSelector(text)).toThrow(SelectorError);
    expect(() => parseFieldSelector(text)).toThrow(message);
  });
});

describe('matches', () => {
  const pod = { 'metadata.name': 'web-1', 'spec.nodeName': 'node-1', 'status.phase': 'Running' };
  it.each<[string, boolean]>([
    ['', true],
    ['metadata.name=web-1', true],
    ['metadata.name=web-2', false],
    ['spec.nodeName=node-1,status.phase=Running', true],
    ['status.phase!=Succeeded,status.phase!=Failed', true],
    ['status.phase!=Running', false],
    ['spec.schedulerName=', true],
    ['spec.schedulerName!=', false],
  ])('%j is %s', (text, expected) => {
    expect(matches(parseFieldSelector(text), pod)).toBe(expected);
  });
});

describe('checkFieldsSupported', () => {
  const supported = new Set(['metadata.name', 'metadata.namespace', 'spec.nodeName']);
  it('accepts supported fields', () => {
    expect(() => checkFieldsSupported(parseFieldSelector('spec.nodeName=n,metadata.name=x'),
      supported)).not.toThrow();
  });

  it('reports the first unsupported field as apiserver does', () => {
    let caught: unknown;
    try {
      checkFieldsSupported(parseFieldSelector('metadata.name=x,foo=bar'), supported);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SelectorError);
    expect((caught as SelectorError).message).toBe('field label not supported: foo');
    expect((caught as SelectorError).code).toBe('API_SELECTOR_ERR_FIELD_NOT_SUPPORTED');
  });
});
