/**
 * Goal: generic validation returns apimachinery's exact messages (names, qualified names,
 * label values, port names, config keys, ObjectMeta, label selectors), rendered as
 * field.Error.Error() renders them. Method: tables of valid and invalid inputs, each
 * checked against the full upstream text.
 */
import { describe, expect, it } from 'vitest';
import {
  isConfigMapKey, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName,
  isValidIP, isValidLabelValue, isValidPortName, nameIsDNSSubdomain, validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../src/resources/meta-validation.js';
import { formatFieldError } from '../../src/resources/field-errors.js';
import {
  goLabelSelector, labelSelectorMatches, validateLabelSelector,
} from '../../src/resources/label-selector.js';
import type { ObjectMeta } from '../../src/resources/types.js';

const subdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case " +
  "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric " +
  "character (e.g. 'example.com', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric " +
  "characters or '-', and must start and end with an alphanumeric character (e.g. " +
  "'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('name formats', () => {
  it.each([
    ['web', []],
    ['web.example.com', []],
    ['Web', [subdomainMessage]],
    ['-web', [subdomainMessage]],
    ['a'.repeat(254), ['must be no more than 253 characters']],
  ])('isDNS1123Subdomain(%s)', (name, expected) => {
    expect(isDNS1123Subdomain(name)).toEqual(expected);
  });

  it.each([
    ['kube-system', []],
    ['a.b', [labelMessage]],
    ['x'.repeat(64), ['must be no more than 63 characters']],
  ])('isDNS1123Label(%s)', (name, expected) => {
    expect(isDNS1123Label(name)).toEqual(expected);
  });

  it.each([['web', 0], ['1web', 1], ['web-', 1]])('isDNS1035Label(%s) has %i errors',
    (name, count) => {
      expect(isDNS1035Label(name)).toHaveLength(count);
    });

  it('masks one trailing dash of a generateName prefix', () => {
    expect(nameIsDNSSubdomain('web-', true)).toEqual([]);
    expect(nameIsDNSSubdomain('web-', false)).toEqual([subdomainMessage]);
  });
});

describe('qualified names, label values, ports, keys, IPs', () => {
  it.each([
    ['app', 0], ['example.com/app', 0], ['app.kubernetes.io/name', 0],
    ['/app', 1], ['a/b/c', 1], ['Example.com/app', 1], ['bad key', 1],
  ])('isQualifiedName(%s) has %i errors', (key, count) => {
    expect(isQualifiedName(key)).toHaveLength(count);
  });

  it('reports the prefix part of a qualified name', () => {
    expect(isQualifiedName('/app')).toEqual(['prefix part must be non-empty']);
  });

  it.each([['', 0], ['v1.2_3', 0], ['-x', 1], ['y'.repeat(64), 1]])(
    'isValidLabelValue(%s) has %i errors', (value, count) => {
      expect(isValidLabelValue(value)).toHaveLength(count);
    });

  it.each([
    ['http', []],
    ['a--b', ['must not contain consecutive hyphens']],
    ['123', ['must contain at least one letter (a-z)']],
    ['-web', ['must not begin or end with a hyphen']],
    ['averyveryverylongname', ['must be no more than 15 characters']],
  ])('isValidPortName(%s)', (name, expected) => {
    expect(isValidPortName(name)).toEqual(expected);
  });

  it.each([['key.name', 0], ['KEY_NAME', 0], ['..x', 1], ['a b', 1]])(
    'isConfigMapKey(%s) has %i errors', (key, count) => {
      expect(isConfigMapKey(key)).toHaveLength(count);
    });

  it.each([['10.0.0.1', true], ['::1', true], ['2001:db8::ffff', true], ['10.0.0', false],
    ['300.1.1.1', false], ['host', false]])('isValidIP(%s) = %s', (ip, expected) => {
    expect(isValidIP(ip)).toBe(expected);
  });
});

describe('validateObjectMeta', () => {
  const options = { namespaced: true, nameValidator: nameIsDNSSubdomain };
  it.each<[string, ObjectMeta, string[]]>([
    ['valid', { name: 'web', namespace: 'default' }, []],
    ['no name', { namespace: 'default' },
      ['metadata.name: Required value: name or generateName is required']],
    ['bad name', { name: 'Web', namespace: 'default' },
      [`metadata.name: Invalid value: "Web": ${subdomainMessage}`]],
    ['no namespace', { name: 'web' }, ['metadata.namespace: Required value']],
    ['bad label value', { name: 'web', namespace: 'default', labels: { app: '-x' } },
      ['metadata.labels: Invalid value: "-x": a valid label must be an empty string or ' +
        "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
        "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used " +
        "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]],
    ['huge annotations', { name: 'web', namespace: 'default',
      annotations: { a: 'x'.repeat(256 * 1024) } },
    ['metadata.annotations: Too long: may not be more than 262144 bytes']],
  ])('%s', (_label, meta, expected) => {
    expect(validateObjectMeta(meta, options).map(formatFieldError)).toEqual(expected);
  });

  it('forbids a namespace on cluster-scoped kinds', () => {
    const errors = validateObjectMeta({ name: 'n', namespace: 'x' },
      { namespaced: false, nameValidator: nameIsDNSSubdomain });
    expect(errors.map(formatFieldError))
      .toEqual(['metadata.namespace: Forbidden: not allowed on this type']);
  });

  it('keeps name and uid immutable and forbids new finalizers while deleting', () => {
    const old: ObjectMeta = { name: 'a', namespace: 'd', uid: 'u1',
      deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['x/y'] };
    const next: ObjectMeta = { ...old, name: 'b', finalizers: ['x/y', 'x/z'] };
    expect(validateObjectMetaUpdate(next, old).map(formatFieldError)).toEqual([
      'metadata.name: Invalid value: "b": field is immutable',
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being ' +
        'deleted, found new finalizers []string{"x/z"}',
    ]);
  });
});

describe('label selectors', () => {
  it.each([
    [{ matchLabels: { app: 'web' } }, { app: 'web', x: 'y' }, true],
    [{ matchLabels: { app: 'web' } }, { app: 'db' }, false],
    [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] }, { env: 'b' },
      true],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['a'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, {}, false],
    [{ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, {}, true],
  ])('%j matches %j: %s', (selector, labels, expected) => {
    expect(labelSelectorMatches(selector, labels)).toBe(expected);
  });

  it('validates operators and values with upstream messages', () => {
    const errors = validateLabelSelector({ matchExpressions: [
      { key: 'a', operator: 'In' },
      { key: 'b', operator: 'Exists', values: ['x'] },
      { key: 'c', operator: 'Near' },
    ] }, 'spec.selector');
    expect(errors.map(formatFieldError)).toEqual([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when " +
        "`operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when " +
        "`operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid ' +
        'selector operator',
    ]);
  });

  it('renders a selector as Go %#v', () => {
    expect(goLabelSelector({ matchLabels: { app: 'web2' } })).toBe(
      'v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, ' +
      'MatchExpressions:[]v1.LabelSelectorRequirement(nil)}');
  });
});
