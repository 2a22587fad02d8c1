/**
 * Goal: request bodies decode as apiserver decodes them: strict JSON with Go's error wording,
 * multi-document YAML with line numbers, duplicate keys reported with their paths at any
 * depth, and hostile nesting refused with a BodyError instead of a stack overflow.
 * Method: tables of bodies with the expected value, duplicates or error.
 */
import { describe, expect, it } from 'vitest';
import {
  BodyError, bodyNestingDepthMax, parseJsonStrict, parseYamlDocuments,
} from '../../src/api/body.js';

function bodyErrorOf(run: () => unknown): BodyError {
  try {
    run();
  } catch (error) {
    if (error instanceof BodyError) return error;
    throw error;
  }
  throw new Error('expected a BodyError');
}

describe('parseJsonStrict: values and duplicates', () => {
  it.each<[string, string[]]>([
    ['{"metadata":{"name":"a"}}', []],
    ['{"metadata":{"name":"a","name":"b"}}', ['metadata.name']],
    ['{"spec":{"replicas":1,"replicas":2},"spec2":{}}', ['spec.replicas']],
    ['{"a":1,"a":2,"a":3}', ['a', 'a']],
    ['{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]}}',
      ['spec.containers[1].name']],
    ['[{"x":1},{"y":[[{"z":1,"z":2}]]}]', ['[1].y[0][0].z']],
    ['{"a\\u0062":1,"ab":2}', ['ab']],
    ['{"a":{"k":1},"b":{"k":1}}', []],
    ['  [1, -2.5e3, true, false, null, "s\\n\\"", {}, []]  ', []],
    ['"just a string"', []],
  ])('%s', (text, duplicates) => {
    const parsed = parseJsonStrict(text);
    expect(parsed.value).toEqual(JSON.parse(text));
    expect(parsed.duplicates).toEqual(duplicates);
  });
});

describe('parseJsonStrict: errors', () => {
  it.each<[string, string, number, number]>([
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string", 1, 8],
    ['{"a" 1}', "invalid character '1' after object key", 1, 6],
    ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair", 1, 8],
    ['[1 2]', "invalid character '2' after array element", 1, 4],
    ['{"a":1}x', "invalid character 'x' after top-level value", 1, 8],
    ['{"a":\n  tru}', "invalid character '}' in literal true (expecting 'e')", 2, 6],
    ['{"a":01}', "invalid character '1' after object key:value pair", 1, 7],
    ['{"a":"x\ny"}', "invalid character '\\n' in string literal", 1, 8],
    ['{"a":"\\q"}', "invalid character 'q' in string escape code", 1, 8],
    ['{"a":', 'unexpected end of JSON input', 1, 6],
    ['', 'unexpected end of JSON input', 1, 1],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string", 1, 2],
  ])('%j', (text, detail, line, column) => {
    const error = bodyErrorOf(() => parseJsonStrict(text));
    expect(error.detail).toBe(detail);
    expect(error.message).toBe(`couldn't get version/kind; json parse error: ${detail}`);
    expect(error.position).toEqual({ line, column });
    expect(error.httpStatus).toBe(400);
  });

  it('accepts nesting at the bound and refuses one level more, without recursion', () => {
    const atBound = '['.repeat(bodyNestingDepthMax) + ']'.repeat(bodyNestingDepthMax);
    expect(parseJsonStrict(atBound).duplicates).toEqual([]);
    const over = '['.repeat(bodyNestingDepthMax + 1) + ']'.repeat(bodyNestingDepthMax + 1);
    expect(bodyErrorOf(() => parseJsonStrict(over)).code).toBe('API_BODY_ERR_LIMIT');
    const hostile = '{"a":'.repeat(1_000_000);
    expect(bodyErrorOf(() => parseJsonStrict(hostile)).detail)
      .toBe('the body nests deeper than 100 levels');
  });

  it('parses a 1 MiB body', () => {
    const items = Array.from({ length: 4000 }, (_, index) => ({
      metadata: { name: `pod-${index}`, labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'nginx', args: ['x'.repeat(150)] }] },
    }));
    const text = JSON.stringify({ kind: 'List', items });
    expect(text.length).toBeGreaterThan(1024 * 1024);
    const parsed = parseJsonStrict(text);
    expect((parsed.value as { items: unknown[] }).items).toHaveLength(4000);
    expect(parsed.duplicates).toEqual([]);
  });
});

describe('parseYamlDocuments', () => {
  it('splits documents, skips empty ones and reports duplicates per document', () => {
    const text = [
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: a',
      '  name: b',
      '---',
      '---',
      'kind: Pod',
      'spec:',
      '  containers:',
      '  - name: c',
      '    image: x',
      '    image: y',
      '',
    ].join('\n');
    const documents = parseYamlDocuments(text);
    expect(documents.map((document) => document.duplicates))
      .toEqual([['metadata.name'], ['spec.containers[0].image']]);
    expect(documents[0]!.value).toEqual({ apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'b' } });
  });

  it.each<[string, unknown]>([
    ['a: yes\nb: "yes"\nc: 0777\nd: 1_000', { a: true, b: 'yes', c: 511, d: 1000 }],
    ['t: 2024-01-02T03:04:05Z\nport: 8080:80', { t: '2024-01-02T03:04:05Z', port: '8080:80' }],
    ['base: &b {x: 1}\nderived:\n  <<: *b\n  z: 2', { base: { x: 1 }, derived: { x: 1, z: 2 } }],
    ['y: 1\nn: 2', { true: 1, false: 2 }],
    ['{"json": [1, 2, {"is": "yaml"}]}', { json: [1, 2, { is: 'yaml' }] }],
    ['key: |\n  line1\n  line2\n', { key: 'line1\nline2\n' }],
  ])('%j', (text, expected) => {
    expect(parseYamlDocuments(text).map((document) => document.value)).toEqual([expected]);
  });

  it.each<[string, RegExp, number]>([
    ['a: 1\nb: [1, 2\nc: 3\n', /^error converting YAML to JSON: yaml: line 3: /, 3],
    ['a:\n  b: 1\n c: 2\n', /^error converting YAML to JSON: yaml: line 3: /, 3],
    ['x: .nan', /cannot be represented in JSON/, 0],
    ['x: !!binary aGVsbG8=', /cannot be represented in JSON/, 0],
  ])('%j is rejected', (text, message, line) => {
    const error = bodyErrorOf(() => parseYamlDocuments(text));
    expect(error.message).toMatch(message);
    if (line > 0) expect(error.position?.line).toBe(line);
  });

  it('refuses deep nesting before composing, and alias bombs', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(bodyErrorOf(() => parseYamlDocuments(deep)).code).toBe('API_BODY_ERR_LIMIT');
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 12; level += 1) {
      const refs = Array.from({ length: 10 }, () => `*a${level - 1}`).join(', ');
      lines.push(`a${level}: &a${level} [${refs}]`);
    }
    expect(bodyErrorOf(() => parseYamlDocuments(lines.join('\n'))).code)
      .toBe('API_BODY_ERR_LIMIT');
  });
});
