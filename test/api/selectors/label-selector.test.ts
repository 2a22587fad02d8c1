/**
 * Goal: label selectors parse, match, convert and render as apimachinery's labels and metav1
 * packages do, errors included. Method: tables of selector strings (from labels/selector_test
 * and kubectl usage) with the rendered form, match tables over label sets, and error tables.
 */
import { describe, expect, it } from 'vitest';
import {
  formatLabelSelector, fromMetaLabelSelector, matches, nothingSelector, parseLabelSelector,
  selectorFromSet, selectorToString, type MetaLabelSelector,
} from '../../../src/api/selectors/label-selector.js';
import { SelectorError } from '../../../src/api/selectors/errors.js';

describe('parseLabelSelector: valid selectors and their canonical string', () => {
  it.each<[string, string]>([
    ['', ''],
    ['   ', ''],
    ['x=a', 'x=a'],
    ['x==a', 'x==a'],
    ['x!=a', 'x!=a'],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['z=c,x=a', 'x=a,z=c'],
    ['x = a , y != b', 'x=a,y!=b'],
    ['x=', 'x='],
    ['x in (a,b)', 'x in (a,b)'],
    ['x in (b,a,a)', 'x in (a,b)'],
    ['x notin (a)', 'x notin (a)'],
    ['x in ()', 'x in ()'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['x', 'x'],
    ['!x', '!x'],
    ['! x', '!x'],
    ['x>1', 'x>1'],
    ['x<5', 'x<5'],
    ['app.kubernetes.io/name=web', 'app.kubernetes.io/name=web'],
    ['in in (in)', 'in in (in)'],
    ['kubernetes.io/cluster-service=true', 'kubernetes.io/cluster-service=true'],
    ['a,b,!c,d in (x),e notin (y)', 'a,b,!c,d in (x),e notin (y)'],
  ])('%j renders as %j', (text, rendered) => {
    expect(selectorToString(parseLabelSelector(text))).toBe(rendered);
  });
});

describe('parseLabelSelector: errors', () => {
  const nameRule = "name part must consist of alphanumeric characters, '-', '_' or '.', and "
    + "must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
    + "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const valueRule = "a valid label must be an empty string or consist of alphanumeric "
    + "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
    + "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
    + "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  it.each<[string, string]>([
    ['-a=b', `unable to parse requirement: <nil>: Invalid value: "-a": ${nameRule}`],
    ['a=b_', `unable to parse requirement: values[0][a]: Invalid value: "b_": ${valueRule}`],
    ['a=b!', "found '!', expected: ',' or 'end of string'"],
    ['x=a,', "found '', expected: identifier after ','"],
    ['x=a,,y=b', "found ',', expected: identifier after ','"],
    [',x=a', "found ',', expected: !, identifier, or 'end of string'"],
    ['x in a', "unable to parse requirement: found 'a' expected: '('"],
    ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['x=a y=b', "found 'y', expected: ',' or 'end of string'"],
    ['x (a)', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['x>a', 'unable to parse requirement: values[0]: Invalid value: "a": '
      + "for 'Gt', 'Lt' operators, the value must be an integer"],
    ['a/b/c', 'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name '
      + "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
      + "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
      + "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
      + "subdomain prefix and '/' (e.g. 'example.com/MyName')"],
    ['Example.com/a', 'unable to parse requirement: <nil>: Invalid value: "Example.com/a": '
      + 'prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
      + "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
      + "'example.com', regex used for validation is "
      + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
    [`a=${'v'.repeat(64)}`, `unable to parse requirement: values[0][a]: Invalid value: `
      + `"${'v'.repeat(64)}": must be no more than 63 characters`],
  ])('%j', (text, message) => {
    let caught: unknown;
    try {
      parseLabelSelector(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SelectorError);
    expect((caught as SelectorError).message).toBe(message);
    expect((caught as SelectorError).httpStatus).toBe(400);
  });
});

describe('matches', () => {
  const labels = { app: 'web', tier: 'front', replicas: '3' };
  it.each<[string, Record<string, string> | undefined, boolean]>([
    ['', labels, true],
    ['', undefined, true],
    ['app=web', labels, true],
    ['app==web', labels, true],
    ['app=db', labels, false],
    ['app!=db', labels, true],
    ['missing!=x', labels, true],
    ['app', labels, true],
    ['!app', labels, false],
    ['!missing', labels, true],
    ['tier in (front,back)', labels, true],
    ['tier in (back)', labels, false],
    ['missing in (a)', labels, false],
    ['tier notin (back)', labels, true],
    ['missing notin (a)', labels, true],
    ['app=web,tier=back', labels, false],
    ['replicas>2', labels, true],
    ['replicas<3', labels, false],
    ['app>1', labels, false],
    ['app=web', undefined, false],
    ['missing=', labels, false],
  ])('%j on %j is %s', (text, set, expected) => {
    expect(matches(parseLabelSelector(text), set)).toBe(expected);
  });

  it('the nothing selector matches nothing, even no labels', () => {
    expect(matches(nothingSelector, {})).toBe(false);
    expect(selectorToString(nothingSelector)).toBe('');
  });

  it('selectorFromSet matches supersets of the set', () => {
    const selector = selectorFromSet({ b: '2', a: '1' });
    expect(selectorToString(selector)).toBe('a=1,b=2');
    expect(matches(selector, { a: '1', b: '2', c: '3' })).toBe(true);
    expect(matches(selector, { a: '1' })).toBe(false);
  });
});

describe('fromMetaLabelSelector and formatLabelSelector', () => {
  it.each<[MetaLabelSelector | null | undefined, string, string]>([
    [null, '', '<none>'],
    [undefined, '', '<none>'],
    [{}, '', '<none>'],
    [{ matchLabels: { app: 'web' } }, 'app=web', 'app=web'],
    [{ matchLabels: { tier: 'a', app: 'web' } }, 'app=web,tier=a', 'app=web,tier=a'],
    [{ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In',
      values: ['b', 'a'] }] }, 'app=web,tier in (a,b)', 'app=web,tier in (a,b)'],
    [{ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['a'] },
      { key: 'e', operator: 'Exists' }, { key: 'd', operator: 'DoesNotExist' }] },
    '!d,e,x notin (a)', '!d,e,x notin (a)'],
    [{ matchExpressions: [{ key: 'x', operator: 'Bogus' }] }, 'error', '<error>'],
  ])('%j', (selector, rendered, formatted) => {
    expect(formatLabelSelector(selector)).toBe(formatted);
    if (rendered !== 'error') {
      expect(selectorToString(fromMetaLabelSelector(selector))).toBe(rendered);
    }
  });

  it('nil matches nothing, empty matches everything', () => {
    expect(matches(fromMetaLabelSelector(null), { app: 'web' })).toBe(false);
    expect(matches(fromMetaLabelSelector({}), { app: 'web' })).toBe(true);
  });

  it.each<[MetaLabelSelector, string]>([
    [{ matchExpressions: [{ key: 'x', operator: 'Bogus' }] },
      '"Bogus" is not a valid label selector operator'],
    [{ matchExpressions: [{ key: 'x', operator: 'In', values: [] }] },
      "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"],
    [{ matchExpressions: [{ key: 'x', operator: 'Exists', values: ['a'] }] },
      'values: Invalid value: []string{"a"}: values set must be empty for exists and does not exist'],
    [{ matchLabels: { '-bad': 'x' } }, /^key: Invalid value: "-bad": name part must consist/],
  ] as Array<[MetaLabelSelector, string]>)('%j is rejected', (selector, message) => {
    const run = (): unknown => fromMetaLabelSelector(selector);
    expect(run).toThrow(SelectorError);
    expect(run).toThrow(message);
  });
});
