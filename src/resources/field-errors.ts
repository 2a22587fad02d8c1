/**
 * @module resources/field-errors
 * Constructors for FieldError values that render exactly as apimachinery's
 * `field.Error.ErrorBody()` (k8s.io/apimachinery/pkg/util/validation/field/errors.go, v1.32):
 * `Required value`, `Invalid value: "Foo": <detail>`, `Unsupported value: "x": supported
 * values: "A", "B"`, `Duplicate value: "x"`, `Forbidden: <detail>`, `Too long: may not be
 * more than N bytes`. The bad value is printed the way Go's fmt prints it (`%q` for strings,
 * `%v` for numbers and booleans, `%#v` for maps and slices), via `GoValue`.
 */
import type { FieldError } from './types.js';

/**
 * GoValue is a bad value as validation reports it: a scalar printed by Go's rules, null
 * (Go's nil, printed "null"), or `{ go: text }` for a composite already rendered (see
 * `goStringMap`, `goStringSlice`).
 */
export type GoValue = string | number | boolean | null | RenderedGoValue;

/** RenderedGoValue is a composite value already printed as Go's `%#v` prints it. */
export interface RenderedGoValue {
  readonly go: string;
}

/** Renders a scalar or pre-rendered value the way field.Error does. */
export function renderGoValue(value: GoValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value.go;
}

/**
 * Quotes a string like Go's `%q` (JSON escaping matches it for printable ASCII, quotes and
 * backslashes, which is what names and labels contain).
 */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** Renders a map[string]string as Go's `%#v` does: sorted keys, `(nil)` when absent. */
export function goStringMap(
  map: Readonly<Record<string, string>> | undefined,
): RenderedGoValue {
  if (map === undefined) return { go: 'map[string]string(nil)' };
  const entries = Object.keys(map).sort()
    .map((key) => `${goQuote(key)}:${goQuote(map[key] ?? '')}`);
  return { go: `map[string]string{${entries.join(', ')}}` };
}

/** Renders a []string as Go's `%#v` does. */
export function goStringSlice(items: readonly string[] | undefined): RenderedGoValue {
  if (items === undefined) return { go: '[]string(nil)' };
  return { go: `[]string{${items.map(goQuote).join(', ')}}` };
}

/** `<field>: Required value[: detail]`. */
export function fieldRequired(field: string, detail = ''): FieldError {
  return make('FieldValueRequired', field, withDetail('Required value', detail));
}

/** `<field>: Invalid value: <value>: <detail>`. */
export function fieldInvalid(field: string, value: GoValue, detail: string): FieldError {
  const head = `Invalid value: ${renderGoValue(value)}`;
  return make('FieldValueInvalid', field, withDetail(head, detail));
}

/** One Invalid error per message (apimachinery's `for _, msg := range IsX(v)` idiom). */
export function invalidEach(field: string, value: GoValue, messages: readonly string[]):
FieldError[] {
  return messages.map((message) => fieldInvalid(field, value, message));
}

/** `<field>: Unsupported value: <value>: supported values: "a", "b"`. */
export function fieldNotSupported(
  field: string,
  value: GoValue,
  supported: readonly string[],
): FieldError {
  const detail = supported.length === 0
    ? ''
    : `supported values: ${supported.map(goQuote).join(', ')}`;
  return make('FieldValueNotSupported', field,
    withDetail(`Unsupported value: ${renderGoValue(value)}`, detail));
}

/** `<field>: Duplicate value: <value>`. */
export function fieldDuplicate(field: string, value: GoValue): FieldError {
  return make('FieldValueDuplicate', field, `Duplicate value: ${renderGoValue(value)}`);
}

/** `<field>: Forbidden: <detail>`. */
export function fieldForbidden(field: string, detail: string): FieldError {
  return make('FieldValueForbidden', field, withDetail('Forbidden', detail));
}

/** `<field>: Too long: may not be more than <max> bytes` (field.TooLong, v1.32 wording). */
export function fieldTooLong(field: string, maxBytes: number): FieldError {
  const unit = maxBytes === 1 ? 'byte' : 'bytes';
  return make('FieldValueTooLong', field, `Too long: may not be more than ${maxBytes} ${unit}`);
}

/** Renders one FieldError as `field.Error.Error()` does: `<field>: <message>`. */
export function formatFieldError(error: FieldError): string {
  return `${error.field}: ${error.message}`;
}

/** Field path helpers mirroring field.Path: child, index and map key. */
export const fieldPath = {
  child: (parent: string, ...names: string[]): string =>
    [parent, ...names].filter((part) => part !== '').join('.'),
  index: (parent: string, index: number): string => `${parent}[${index}]`,
  key: (parent: string, key: string): string => `${parent}[${key}]`,
} as const;

function withDetail(head: string, detail: string): string {
  return detail === '' ? head : `${head}: ${detail}`;
}

function make(type: string, field: string, message: string): FieldError {
  return { type, field, message };
}
