/**
 * @module api/selectors/field-selector
 * Field selectors as k8s.io/apimachinery/pkg/fields.ParseSelector reads them: terms
 * `field=value`, `field==value` or `field!=value` joined by commas. In a value, `\` escapes
 * `\`, `,` and `=`; an unescaped `,` ends the term and an unescaped `=` in a value is an error.
 * Nothing is trimmed (upstream does not trim either). A missing field reads as `""`, so
 * `spec.nodeName=` selects unscheduled pods.
 *
 * The API layer MUST check every field a selector uses against the fields the resource
 * indexes (requirements / checkFieldsSupported) and answer 400 `field label not supported:
 * <field>` for the others, BEFORE matching.
 *
 * Contract: pure. Errors are SelectorError with upstream's messages.
 */
import { SelectorError } from './errors.js';

/** FieldRequirement is one term: `=` (also written `==`) or `!=`. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** FieldSelector is a conjunction of terms; no terms matches everything. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
}

const termOperators = ['!=', '==', '='] as const;

/**
 * Parses a field selector string. Terms are sorted by their text, as upstream sorts them.
 * Throws SelectorError `API_SELECTOR_ERR_INVALID` for a term without an operator or a bad
 * escape.
 */
export function parseFieldSelector(text: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  const terms = splitTerms(text).sort();
  for (const term of terms) {
    if (term === '') continue;
    const split = splitTerm(term);
    if (split === undefined) {
      throw new SelectorError('API_SELECTOR_ERR_INVALID',
        `invalid selector: '${text}'; can't understand '${term}'`);
    }
    requirements.push({
      field: split.field,
      operator: split.operator === '!=' ? '!=' : '=',
      value: unescapeValue(split.value),
    });
  }
  return { requirements };
}

/** Splits on commas that are not escaped with a backslash (fields.splitTerms). */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (escaped) escaped = false;
    else if (char === '\\') escaped = true;
    else if (char === ',') {
      terms.push(text.slice(start, index));
      start = index + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** Splits a term at its first operator (fields.splitTerm), `!=` before `==` before `=`. */
function splitTerm(
  term: string,
): { field: string; operator: (typeof termOperators)[number]; value: string } | undefined {
  for (let index = 0; index < term.length; index += 1) {
    for (const operator of termOperators) {
      if (term.startsWith(operator, index)) {
        return {
          field: term.slice(0, index), operator, value: term.slice(index + operator.length),
        };
      }
    }
  }
  return undefined;
}

/** Removes the escapes of a value (fields.UnescapeValue) and rejects bare `,` and `=`. */
function unescapeValue(value: string): string {
  if (!/[\\,=]/.test(value)) return value;
  let result = '';
  let escaped = false;
  for (const char of value) {
    if (escaped) {
      if (char !== '\\' && char !== ',' && char !== '=') {
        throw new SelectorError('API_SELECTOR_ERR_INVALID',
          `invalid field selector: invalid escape sequence: \\${char}`);
      }
      result += char;
      escaped = false;
    } else if (char === '\\') {
      escaped = true;
    } else if (char === ',' || char === '=') {
      // NB: upstream prints the rune with %v, that is its code point (61 for "=").
      throw new SelectorError('API_SELECTOR_ERR_INVALID',
        `invalid field selector: unescaped character in value: ${char.codePointAt(0)}`);
    } else {
      result += char;
    }
  }
  if (escaped) {
    throw new SelectorError('API_SELECTOR_ERR_INVALID',
      'invalid field selector: invalid escape sequence: \\');
  }
  return result;
}

/** Escapes `\`, `,` and `=` in a value (fields.EscapeValue). */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (char) => `\\${char}`);
}

/** Returns the terms of `selector`, for checking each field against the supported ones. */
export function requirements(selector: FieldSelector): readonly FieldRequirement[] {
  return selector.requirements;
}

/** Returns true when `fields` (a missing field reads as "") satisfy every term. */
export function matches(
  selector: FieldSelector, fields: Readonly<Record<string, string>>,
): boolean {
  return selector.requirements.every((requirement) => {
    const actual = Object.prototype.hasOwnProperty.call(fields, requirement.field)
      ? fields[requirement.field]!
      : '';
    return requirement.operator === '=' ? actual === requirement.value
      : actual !== requirement.value;
  });
}

/**
 * Throws SelectorError `API_SELECTOR_ERR_FIELD_NOT_SUPPORTED` (`field label not supported:
 * <field>`) for the first field of `selector` that is not in `supported`.
 */
export function checkFieldsSupported(
  selector: FieldSelector, supported: ReadonlySet<string>,
): void {
  for (const requirement of selector.requirements) {
    if (!supported.has(requirement.field)) {
      throw new SelectorError('API_SELECTOR_ERR_FIELD_NOT_SUPPORTED',
        `field label not supported: ${requirement.field}`);
    }
  }
}

/** Renders a selector back to its string form (`a=b,c!=d`), escaping values. */
export function fieldSelectorToString(selector: FieldSelector): string {
  return selector.requirements
    .map((term) => `${term.field}${term.operator}${escapeFieldValue(term.value)}`)
    .join(',');
}
