/**
 * Goal: applyJSONPatch follows RFC 6902 and answers failures as apiserver does (evanphx
 * json-patch messages, 400 for malformed patches, 422 for patches that do not apply).
 * Method: the examples of RFC 6902 Appendix A as tables, then error and purity cases.
 */
import { describe, expect, it } from 'vitest';
import { applyJSONPatch, parsePointer } from '../../../src/api/patch/json-patch.js';
import { PatchError } from '../../../src/api/patch/errors.js';
import type { JSONValue } from '../../../src/resources/types.js';

function errorOf(run: () => unknown): PatchError {
  try {
    run();
  } catch (error) {
    if (error instanceof PatchError) return error;
    throw error;
  }
  throw new Error('expected a PatchError');
}

describe('applyJSONPatch: RFC 6902 Appendix A, successes', () => {
  it.each<[string, JSONValue, JSONValue, JSONValue]>([
    ['A.1 add an object member', { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
    ['A.2 add an array element', { foo: ['bar', 'baz'] },
      [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    ['A.3 remove an object member', { baz: 'qux', foo: 'bar' },
      [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    ['A.4 remove an array element', { foo: ['bar', 'qux', 'baz'] },
      [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    ['A.5 replace a value', { baz: 'qux', foo: 'bar' },
      [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    ['A.6 move a value', { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } }],
    ['A.7 move an array element', { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] }],
    ['A.8 test a value (success)', { baz: 'qux', foo: ['a', 2, 'c'] },
      [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }],
      { baz: 'qux', foo: ['a', 2, 'c'] }],
    ['A.10 add a nested member object', { foo: 'bar' },
      [{ op: 'add', path: '/child', value: { grandchild: {} } }],
      { foo: 'bar', child: { grandchild: {} } }],
    ['A.11 ignore unrecognized elements', { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
    ['A.14 ~ escape ordering', { '/': 9, '~1': 10 },
      [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
    ['A.16 add an array value', { foo: ['bar'] },
      [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
    ['copy a value', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }],
      { a: { b: 1 }, c: { b: 1 } }],
    ['~1 addresses a slash in a label key', { metadata: { labels: {} } },
      [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'web' }],
      { metadata: { labels: { 'app.kubernetes.io/name': 'web' } } }],
    ['add at the end index', { a: [1] }, [{ op: 'add', path: '/a/1', value: 2 }], { a: [1, 2] }],
    ['replace the root', { a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }], { b: 2 }],
    ['test the whole document', { a: 1 }, [{ op: 'test', path: '', value: { a: 1 } }], { a: 1 }],
    ['test compares objects regardless of key order', { a: { x: 1, y: 2 } },
      [{ op: 'test', path: '/a', value: { y: 2, x: 1 } }], { a: { x: 1, y: 2 } }],
  ])('%s', (_name, target, patch, expected) => {
    expect(applyJSONPatch(target, patch)).toEqual(expected);
  });
});

describe('applyJSONPatch: failures', () => {
  it.each<[string, JSONValue, JSONValue, number, string]>([
    ['A.9 test a value (error)', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }],
      422, 'testing value /baz failed: test failed'],
    ['A.12 add to a nonexistent target', { foo: 'bar' },
      [{ op: 'add', path: '/baz/bat', value: 'qux' }], 422,
      'add operation does not apply: doc is missing path: "/baz/bat": missing value'],
    ['A.15 comparing strings and numbers', { '/': 9, '~1': 10 },
      [{ op: 'test', path: '/~01', value: '10' }], 422, 'testing value /~01 failed: test failed'],
    ['test of a missing member', { spec: {} },
      [{ op: 'test', path: '/spec/replicas', value: 3 }], 422,
      'testing value /spec/replicas failed: test failed'],
    ['remove a missing member', { spec: {} }, [{ op: 'remove', path: '/spec/foo' }], 422,
      "error in remove for path: '/spec/foo': Unable to remove nonexistent key: foo: missing value"],
    ['remove under a missing parent', { spec: {} }, [{ op: 'remove', path: '/status/x' }], 422,
      'remove operation does not apply: doc is missing path: "/status/x": missing value'],
    ['replace a missing member', { spec: {} },
      [{ op: 'replace', path: '/spec/foo', value: 1 }], 422,
      'replace operation does not apply: doc is missing key: /spec/foo: missing value'],
    ['add past the end of an array', { a: [1] }, [{ op: 'add', path: '/a/5', value: 2 }], 422,
      "error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced"],
    ['an index with a leading zero', { a: [1, 2] }, [{ op: 'remove', path: '/a/01' }], 422,
      "error in remove for path: '/a/01': Unable to access invalid index: 01: invalid index referenced"],
    ['move into its own child', { a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }],
      422, 'move operation does not apply: "from" /a is a prefix of "path" /a/b/c'],
    ['move from a missing path', { a: 1 }, [{ op: 'move', from: '/x', path: '/y' }], 422,
      'move operation does not apply: doc is missing from path: /x: missing value'],
    ['copy from a missing path', { a: 1 }, [{ op: 'copy', from: '/x', path: '/y' }], 422,
      'copy operation does not apply: doc is missing from path: /x: missing value'],
    ['remove the root', { a: 1 }, [{ op: 'remove', path: '' }], 422,
      'remove operation does not apply: doc is missing path: "": missing value'],
    ['A.13 an object instead of an array of operations', { a: 1 },
      { op: 'add', path: '/b', value: 1 }, 400,
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
    ['an operation that is not an object', {}, ['add'], 400,
      'json patch operation 0: must be an object, got string'],
    ['an unknown op', {}, [{ op: 'frobnicate', path: '/a' }], 400, 'Unexpected kind: frobnicate'],
    ['op is not a string', {}, [{ op: 1, path: '/a' }], 400,
      'json patch operation 0: "op" must be a string'],
    ['a missing path', {}, [{ op: 'add', value: 1 }], 400,
      'json patch operation 0: add operation: "path" must be a string'],
    ['add without a value', {}, [{ op: 'add', path: '/a' }], 400,
      'json patch operation 0: add operation: missing "value"'],
    ['move without from', {}, [{ op: 'move', path: '/a' }], 400,
      'json patch operation 0: move operation: "from" must be a string'],
    ['a pointer without a leading slash', {}, [{ op: 'add', path: 'a', value: 1 }], 400,
      'invalid JSON pointer "a": must be empty or start with "/"'],
    ['a bad ~ escape', {}, [{ op: 'add', path: '/a~2', value: 1 }], 400,
      'invalid JSON pointer "/a~2": "~" must be followed by 0 or 1'],
  ])('%s', (_name, target, patch, status, message) => {
    const error = errorOf(() => applyJSONPatch(target, patch));
    expect(error.message).toBe(message);
    expect(error.httpStatus).toBe(status);
  });

  it('is atomic: a failing operation leaves the input untouched', () => {
    const target = { a: 1, list: [1, 2] };
    const before = JSON.stringify(target);
    expect(() => applyJSONPatch(target, [
      { op: 'add', path: '/b', value: 2 },
      { op: 'remove', path: '/list/0' },
      { op: 'test', path: '/a', value: 2 },
    ])).toThrow(PatchError);
    expect(JSON.stringify(target)).toBe(before);
  });

  it('bounds the bytes copied (copying the root into itself doubles it)', () => {
    const operations: JSONValue[] = [];
    for (let index = 0; index < 40; index += 1) {
      operations.push({ op: 'copy', from: '', path: `/k${index}` });
    }
    const error = errorOf(() => applyJSONPatch({ a: 'x'.repeat(1000) }, operations));
    expect(error.patchCode).toBe('API_PATCH_ERR_LIMIT');
    expect(error.message).toMatch(/^Unable to complete the copy/);
  });

  it('bounds the number of operations', () => {
    const operations = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '', value: 1 }));
    expect(errorOf(() => applyJSONPatch({}, operations)).message)
      .toBe('The allowed number of operations in a json patch is 10000, but the patch has 10001');
  });

  it('refuses a result deeper than the nesting bound', () => {
    let deep: JSONValue = 1;
    for (let level = 0; level < 60; level += 1) deep = { a: deep };
    // The value fits the bound and so does the target; placed 60 levels down, it does not.
    const patch = [{ op: 'add', path: `/y${'/a'.repeat(59)}/z`, value: deep }];
    expect(errorOf(() => applyJSONPatch({ y: deep }, patch)).patchCode).toBe('API_PATCH_ERR_LIMIT');
  });
});

describe('parsePointer', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['/', ['']],
    ['/a/b', ['a', 'b']],
    ['/a~1b', ['a/b']],
    ['/m~0n', ['m~n']],
    ['/~01', ['~1']],
    ['/c%d', ['c%d']],
  ])('%j', (pointer, tokens) => {
    expect(parsePointer(pointer)).toEqual(tokens);
  });
});
