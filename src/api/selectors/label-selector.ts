/**
 * @module api/selectors/label-selector
 * Label selectors as k8s.io/apimachinery/pkg/labels and metav1 handle them: the string syntax
 * of the `labelSelector` query parameter (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`,
 * `a`, `!a`, and upstream's `a>1`, `a<1`; comma-separated, whitespace tolerant), the
 * metav1.LabelSelector object (matchLabels + matchExpressions), matching, and rendering back
 * to a string (Requirement.String / FormatLabelSelector).
 *
 * Two distinguished selectors, as upstream: the EMPTY selector (no requirements; `""`, or a
 * metav1.LabelSelector `{}`) matches every object, and the NOTHING selector (a nil
 * metav1.LabelSelector) matches none. Both render as `""`.
 *
 * Contract: pure. Errors are SelectorError `API_SELECTOR_ERR_INVALID` with upstream's
 * messages, e.g. `unable to parse requirement: <nil>: Invalid value: "-a": name part must
 * consist of ...` (labels.Parse passes a nil field path, which Go prints as `<nil>`).
 */
import { SelectorError } from './errors.js';
import { scanLabelSelector, type Token } from './label-lexer.js';
import { isQualifiedName, isValidLabelValue } from './validation.js';

/** LabelOperator is selection.Operator: `!` is DoesNotExist, `gt`/`lt` compare integers. */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** LabelRequirement is one labels.Requirement: a key, an operator and its values. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** LabelSelector is a conjunction of requirements, or the selector matching nothing. */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** True for the selector of a nil metav1.LabelSelector: it matches no object. */
  readonly matchesNothing: boolean;
}

/** MetaLabelSelector is the metav1.LabelSelector object of specs (e.g. spec.selector). */
export interface MetaLabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: ReadonlyArray<{
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }>;
}

/** The selector that matches every object (labels.Everything). */
export const everythingSelector: LabelSelector = { requirements: [], matchesNothing: false };

/** The selector that matches no object (labels.Nothing). */
export const nothingSelector: LabelSelector = { requirements: [], matchesNothing: true };

function invalid(message: string): SelectorError {
  return new SelectorError('API_SELECTOR_ERR_INVALID', message);
}

/** Renders a Go field.Error of type Invalid: `<path>: Invalid value: <value>: <detail>`. */
function invalidValue(path: string, value: string | readonly string[], detail: string): string {
  const rendered = typeof value === 'string'
    ? JSON.stringify(value)
    : `[]string{${value.map((item) => JSON.stringify(item)).join(', ')}}`;
  return `${path}: Invalid value: ${rendered}: ${detail}`;
}

/**
 * Validates a requirement as labels.NewRequirement does (field path `path`, '' for none) and
 * returns it; throws SelectorError with the aggregated messages otherwise.
 */
function newRequirement(
  key: string, operator: LabelOperator, values: readonly string[], path: string,
): LabelRequirement {
  const child = (name: string): string => (path === '' ? name : `${path}.${name}`);
  const errors: string[] = [];
  const keyErrors = isQualifiedName(key);
  if (keyErrors.length > 0) errors.push(invalidValue(child('key'), key, keyErrors.join('; ')));
  const valuesPath = child('values');
  if ((operator === 'in' || operator === 'notin') && values.length === 0) {
    errors.push(invalidValue(valuesPath, values,
      "for 'in', 'notin' operators, values set can't be empty"));
  }
  if ((operator === '=' || operator === '==' || operator === '!=') && values.length !== 1) {
    errors.push(invalidValue(valuesPath, values, 'exact-match compatibility requires one single value'));
  }
  if ((operator === 'exists' || operator === '!') && values.length !== 0) {
    errors.push(invalidValue(valuesPath, values,
      'values set must be empty for exists and does not exist'));
  }
  if (operator === 'gt' || operator === 'lt') errors.push(...checkIntegerValues(values, valuesPath));
  values.forEach((value, index) => {
    const valueErrors = isValidLabelValue(value);
    if (valueErrors.length > 0) {
      errors.push(invalidValue(`${valuesPath}[${index}][${key}]`, value, valueErrors.join('; ')));
    }
  });
  if (errors.length === 1) throw invalid(errors[0]!);
  if (errors.length > 1) throw invalid(`[${errors.join(', ')}]`);
  return { key, operator, values: [...values] };
}

function checkIntegerValues(values: readonly string[], valuesPath: string): string[] {
  const errors: string[] = [];
  if (values.length !== 1) {
    errors.push(invalidValue(valuesPath, values,
      "for 'Gt', 'Lt' operators, exactly one value is required"));
  }
  values.forEach((value, index) => {
    if (!/^[+-]?[0-9]+$/.test(value)) {
      errors.push(invalidValue(`${valuesPath}[${index}]`, value,
        "for 'Gt', 'Lt' operators, the value must be an integer"));
    }
  });
  return errors;
}

/** Sorts requirements by key (stable), as labels.ByKey does after parsing. */
function sortByKey(requirements: LabelRequirement[]): LabelRequirement[] {
  return requirements.sort((left, right) => {
    if (left.key === right.key) return 0;
    return left.key < right.key ? -1 : 1;
  });
}

/**
 * Parses the string syntax of a label selector (labels.Parse). `""` (or only whitespace) is
 * the empty selector, which matches everything. Throws SelectorError on a syntax error, an
 * invalid key or an invalid value.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const parser = new Parser(scanLabelSelector(text));
  return { requirements: sortByKey(parser.parse()), matchesNothing: false };
}

/** Parser is the recursive-descent parser of labels.Parser over the scanned tokens. */
class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  /** Returns the current token; `in`/`notin` read as identifiers in the Values context. */
  private lookahead(values: boolean): Token {
    const token = this.tokens[Math.min(this.position, this.tokens.length - 1)]!;
    if (values && (token.kind === 'in' || token.kind === 'notin')) {
      return { kind: 'identifier', literal: token.literal };
    }
    return token;
  }

  private consume(values: boolean): Token {
    const token = this.lookahead(values);
    this.position += 1;
    return token;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const token = this.lookahead(true);
      if (token.kind === 'end') return requirements;
      if (token.kind !== 'identifier' && token.kind !== '!') {
        throw invalid(`found '${token.literal}', expected: !, identifier, or 'end of string'`);
      }
      try {
        requirements.push(this.parseRequirement());
      } catch (error) {
        if (!(error instanceof SelectorError)) throw error;
        throw invalid(`unable to parse requirement: ${error.message}`);
      }
      const after = this.consume(true);
      if (after.kind === 'end') return requirements;
      if (after.kind !== ',') {
        throw invalid(`found '${after.literal}', expected: ',' or 'end of string'`);
      }
      const next = this.lookahead(true);
      if (next.kind !== 'identifier' && next.kind !== '!') {
        throw invalid(`found '${next.literal}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    let token = this.consume(true);
    const doesNotExist = token.kind === '!';
    if (doesNotExist) token = this.consume(true);
    if (token.kind !== 'identifier') throw invalid(`found '${token.literal}', expected: identifier`);
    const key = token.literal;
    const keyErrors = isQualifiedName(key);
    if (keyErrors.length > 0) throw invalid(invalidValue('<nil>', key, keyErrors.join('; ')));
    const next = this.lookahead(true).kind;
    if (doesNotExist || next === 'end' || next === ',') {
      return newRequirement(key, doesNotExist ? '!' : 'exists', [], '');
    }
    const operator = this.parseOperator();
    const values = operator === 'in' || operator === 'notin'
      ? this.parseValues()
      : this.parseExactValue();
    return newRequirement(key, operator, [...new Set(values)].sort(), '');
  }

  private parseOperator(): LabelOperator {
    const token = this.consume(false);
    switch (token.kind) {
      case 'in': case 'notin': case '=': case '==': case '!=':
        return token.kind;
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw invalid(`found '${token.literal}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private parseValues(): string[] {
    const open = this.consume(true);
    if (open.kind !== '(') throw invalid(`found '${open.literal}' expected: '('`);
    const token = this.lookahead(true);
    if (token.kind === ')') {
      this.consume(true);
      return [''];
    }
    if (token.kind !== 'identifier' && token.kind !== ',') {
      throw invalid(`found '${token.literal}', expected: ',', ')' or identifier`);
    }
    const values = this.parseIdentifiersList();
    if (this.consume(true).kind !== ')') throw invalid(`found '${token.literal}', expected: ')'`);
    return values;
  }

  /** Parses `a,b,,c` up to (not including) `)`; empty entries are the empty string. */
  private parseIdentifiersList(): string[] {
    const values: string[] = [];
    for (;;) {
      const token = this.consume(true);
      if (token.kind === 'identifier') {
        values.push(token.literal);
        const next = this.lookahead(true);
        if (next.kind === ')') return values;
        if (next.kind !== ',') throw invalid(`found '${next.literal}', expected: ',' or ')'`);
        continue;
      }
      if (token.kind !== ',') throw invalid(`found '${token.literal}', expected: ',', or identifier`);
      if (values.length === 0) values.push('');
      const next = this.lookahead(true);
      if (next.kind === ')') {
        values.push('');
        return values;
      }
      if (next.kind === ',') {
        this.consume(true);
        values.push('');
      }
    }
  }

  private parseExactValue(): string[] {
    const next = this.lookahead(true);
    if (next.kind === 'end' || next.kind === ',') return [''];
    const token = this.consume(true);
    if (token.kind === 'identifier') return [token.literal];
    throw invalid(`found '${token.literal}', expected: identifier`);
  }
}

/**
 * Converts a metav1.LabelSelector into a selector (LabelSelectorAsSelector): null/undefined
 * matches nothing, `{}` matches everything. Throws SelectorError for an invalid key, value
 * or operator (`"Foo" is not a valid label selector operator`).
 */
export function fromMetaLabelSelector(
  selector: MetaLabelSelector | null | undefined,
): LabelSelector {
  if (selector === null || selector === undefined) return nothingSelector;
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push(newRequirement(key, '=', [value], ''));
  }
  for (const expression of selector.matchExpressions ?? []) {
    const operator = metaOperators[expression.operator];
    if (operator === undefined) {
      throw invalid(`${JSON.stringify(expression.operator)} is not a valid label selector operator`);
    }
    requirements.push(newRequirement(expression.key, operator, expression.values ?? [], ''));
  }
  return { requirements: sortByKey(requirements), matchesNothing: false };
}

const metaOperators: Readonly<Record<string, LabelOperator>> = {
  In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!',
};

/** Returns the selector matching exactly the given labels (labels.SelectorFromSet). */
export function selectorFromSet(labels: Readonly<Record<string, string>>): LabelSelector {
  const requirements = Object.entries(labels)
    .map(([key, value]): LabelRequirement => ({ key, operator: '=', values: [value] }));
  return { requirements: sortByKey(requirements), matchesNothing: false };
}

/** Returns true when `labels` (undefined: none) satisfy every requirement of `selector`. */
export function matches(
  selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (selector.matchesNothing) return false;
  return selector.requirements.every((requirement) => requirementMatches(requirement, labels));
}

function requirementMatches(
  requirement: LabelRequirement, labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const present = labels !== undefined
    && Object.prototype.hasOwnProperty.call(labels, requirement.key);
  const value = present ? labels[requirement.key]! : undefined;
  switch (requirement.operator) {
    case 'in': case '=': case '==':
      return value !== undefined && requirement.values.includes(value);
    case 'notin': case '!=':
      return value === undefined || !requirement.values.includes(value);
    case 'exists':
      return present;
    case '!':
      return !present;
    case 'gt': case 'lt':
      return compareIntegers(requirement, value);
  }
}

function compareIntegers(requirement: LabelRequirement, value: string | undefined): boolean {
  if (value === undefined || !/^[+-]?[0-9]+$/.test(value)) return false;
  const bound = requirement.values[0];
  if (requirement.values.length !== 1 || bound === undefined) return false;
  const actual = BigInt(value);
  return requirement.operator === 'gt' ? actual > BigInt(bound) : actual < BigInt(bound);
}

const operatorText: Readonly<Record<LabelOperator, string>> = {
  '=': '=', '==': '==', '!=': '!=', in: ' in ', notin: ' notin ', exists: '', '!': '',
  gt: '>', lt: '<',
};

/** Renders one requirement as Requirement.String does (`tier in (a,b)`, `!canary`). */
export function requirementToString(requirement: LabelRequirement): string {
  const { key, operator, values } = requirement;
  if (operator === 'exists') return key;
  if (operator === '!') return `!${key}`;
  const joined = [...values].sort().join(',');
  const rendered = operator === 'in' || operator === 'notin' ? `(${joined})` : joined;
  return `${key}${operatorText[operator]}${rendered}`;
}

/**
 * Renders a selector as labels.Selector.String does: requirements joined by commas, e.g.
 * `app=web,tier in (a,b)`; `""` for both the empty and the nothing selector. Used for Scale
 * `status.selector`.
 */
export function selectorToString(selector: LabelSelector): string {
  return selector.requirements.map(requirementToString).join(',');
}

/**
 * Renders a metav1.LabelSelector as metav1.FormatLabelSelector does for kubectl columns:
 * `<none>` when it selects without restriction (or is nil), `<error>` when it is invalid.
 */
export function formatLabelSelector(selector: MetaLabelSelector | null | undefined): string {
  let rendered: string;
  try {
    rendered = selectorToString(fromMetaLabelSelector(selector));
  } catch (error) {
    if (error instanceof SelectorError) return '<error>';
    throw error;
  }
  return rendered === '' ? '<none>' : rendered;
}
