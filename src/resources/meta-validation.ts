/**
 * @module resources/meta-validation
 * apimachinery's generic validation with its exact messages: DNS-1123 labels and subdomains,
 * DNS-1035 labels, qualified names, label values, port names and numbers, config keys
 * (k8s.io/apimachinery/pkg/util/validation), ObjectMeta on create and update
 * (k8s.io/apimachinery/pkg/api/validation/objectmeta.go) and label selectors
 * (k8s.io/apimachinery/pkg/apis/meta/v1/validation). Each `is*` function returns the list of
 * messages apimachinery returns (empty when valid); the `validate*` functions return
 * FieldErrors ready for a 422. Pure functions.
 */
import type { FieldError, ObjectMeta } from './types.js';
import {
  fieldForbidden, fieldInvalid, fieldPath, fieldRequired, fieldTooLong, goQuote,
  goStringSlice,
} from './field-errors.js';
import { arrayAt, isRecord, stringAt, stringMapAt } from './object-access.js';
import type { MutableRecord } from './object-access.js';

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueFmt = `(${qualifiedNameFmt})?`;
const configMapKeyFmt = '[-._a-zA-Z0-9]+';

const dns1123LabelRegexp = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRegexp = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelRegexp = new RegExp(`^${dns1035LabelFmt}$`);
const qualifiedNameRegexp = new RegExp(`^${qualifiedNameFmt}$`);
const labelValueRegexp = new RegExp(`^${labelValueFmt}$`);
const configMapKeyRegexp = new RegExp(`^${configMapKeyFmt}$`);

/** DNS1123LabelMaxLength is the longest DNS-1123 label (63). */
export const dns1123LabelMaxLength = 63;
/** DNS1123SubdomainMaxLength is the longest DNS-1123 subdomain (253). */
export const dns1123SubdomainMaxLength = 253;
/** TotalAnnotationSizeLimitBytes bounds the sum of annotation key and value lengths. */
export const totalAnnotationSizeLimitBytes = 256 * 1024;
const qualifiedNameMaxLength = 63;
const labelValueMaxLength = 63;
const portNameMaxLength = 15;

/** Returns apimachinery's "must be no more than N characters". */
export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/**
 * Returns apimachinery's RegexError: the message, quoted examples and the regex. NB: Go
 * appends "'example', " per example and " or " between them, hence the double space in
 * "(e.g. 'my-name',  or '123-abc', regex used for validation is ...)"; kept byte for byte.
 */
export function regexError(message: string, format: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${format}')`;
  const shown = examples.map((example) => `'${example}', `).join(' or ');
  return `${message} (e.g. ${shown}regex used for validation is '${format}')`;
}

/** Returns apimachinery's "must be between lo and hi, inclusive". */
export function inclusiveRangeError(low: number, high: number): string {
  return `must be between ${low} and ${high}, inclusive`;
}

/** IsNegativeErrorMsg, as apimachinery's ValidateNonnegativeField reports it. */
export const isNegativeErrorMsg = 'must be greater than or equal to 0';

/** IsDNS1123Label checks a lowercase RFC 1123 label (namespaces, container names). */
export function isDNS1123Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > dns1123LabelMaxLength) errors.push(maxLenError(dns1123LabelMaxLength));
  if (!dns1123LabelRegexp.test(value)) {
    errors.push(regexError('a lowercase RFC 1123 label must consist of lower case alphanumeric ' +
      "characters or '-', and must start and end with an alphanumeric character",
    dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errors;
}

/** IsDNS1123Subdomain checks a lowercase RFC 1123 subdomain (most object names). */
export function isDNS1123Subdomain(value: string): string[] {
  const errors: string[] = [];
  if (value.length > dns1123SubdomainMaxLength) {
    errors.push(maxLenError(dns1123SubdomainMaxLength));
  }
  if (!dns1123SubdomainRegexp.test(value)) {
    errors.push(regexError('a lowercase RFC 1123 subdomain must consist of lower case ' +
      "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric " +
      'character', dns1123SubdomainFmt, 'example.com'));
  }
  return errors;
}

/** IsDNS1035Label checks an RFC 1035 label (Service names: must start with a letter). */
export function isDNS1035Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > dns1123LabelMaxLength) errors.push(maxLenError(dns1123LabelMaxLength));
  if (!dns1035LabelRegexp.test(value)) {
    errors.push(regexError('a DNS-1035 label must consist of lower case alphanumeric ' +
      "characters or '-', start with an alphabetic character, and end with an alphanumeric " +
      'character', dns1035LabelFmt, 'my-name', 'abc-123'));
  }
  return errors;
}

/** IsQualifiedName checks a label key or annotation key: `[prefix/]name`. */
export function isQualifiedName(value: string): string[] {
  const errors: string[] = [];
  const parts = value.split('/');
  const nameMessage = regexError("must consist of alphanumeric characters, '-', '_' or '.', " +
    'and must start and end with an alphanumeric character', qualifiedNameFmt,
  'MyName', 'my.name', '123-abc');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errors.push('prefix part must be non-empty');
    else errors.push(...isDNS1123Subdomain(prefix).map((message) => `prefix part ${message}`));
  } else {
    return [`a qualified name ${nameMessage} with an optional DNS subdomain prefix and '/' ` +
      "(e.g. 'example.com/MyName')"];
  }
  if (name.length === 0) errors.push('name part must be non-empty');
  else if (name.length > qualifiedNameMaxLength) {
    errors.push(`name part ${maxLenError(qualifiedNameMaxLength)}`);
  }
  if (!qualifiedNameRegexp.test(name)) errors.push(`name part ${nameMessage}`);
  return errors;
}

/** IsValidLabelValue checks a label value: empty, or a short qualified-name-like string. */
export function isValidLabelValue(value: string): string[] {
  const errors: string[] = [];
  if (value.length > labelValueMaxLength) errors.push(maxLenError(labelValueMaxLength));
  if (!labelValueRegexp.test(value)) {
    errors.push(regexError('a valid label must be an empty string or consist of alphanumeric ' +
      "characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    labelValueFmt, 'MyValue', 'my_value', '12345'));
  }
  return errors;
}

/** IsValidPortNum checks a port number is in 1..65535. */
export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535
    ? [] : [inclusiveRangeError(1, 65535)];
}

/** IsValidPortName checks an IANA_SVC_NAME (container and service port names). */
export function isValidPortName(port: string): string[] {
  const errors: string[] = [];
  if (port.length > portNameMaxLength) errors.push(maxLenError(portNameMaxLength));
  if (!/^[-a-z0-9]+$/.test(port)) {
    errors.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  }
  if (!/[a-z]/.test(port)) errors.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errors.push('must not contain consecutive hyphens');
  if (port.startsWith('-') || port.endsWith('-')) {
    errors.push('must not begin or end with a hyphen');
  }
  return errors;
}

/** IsConfigMapKey checks a ConfigMap or Secret data key. */
export function isConfigMapKey(value: string): string[] {
  const errors: string[] = [];
  if (value.length > dns1123SubdomainMaxLength) {
    errors.push(maxLenError(dns1123SubdomainMaxLength));
  }
  if (!configMapKeyRegexp.test(value)) {
    errors.push(regexError("a valid config key must consist of alphanumeric characters, '-', " +
      "'_' or '.'", configMapKeyFmt, 'key.name', 'KEY_NAME', 'key-name'));
  }
  if (value === '.') errors.push("must not be '.'");
  else if (value === '..') errors.push("must not be '..'");
  else if (value.startsWith('..')) errors.push("must not start with '..'");
  return errors;
}

/** IsValidIP checks an IPv4 or IPv6 address (strict, no leading zeros as Go's netip). */
export function isValidIP(value: string): boolean {
  const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  if (ipv4.test(value)) return true;
  if (!value.includes(':') || !/^[0-9a-fA-F:.]+$/.test(value)) return false;
  const doubleColons = value.split('::').length - 1;
  if (doubleColons > 1) return false;
  const groups = value.split(':').filter((group) => group !== '');
  const groupsOk = groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group));
  return groupsOk && (doubleColons === 1 ? groups.length < 8 : groups.length === 8);
}

/** NameValidator checks an object name; `prefix` is true for a generateName prefix. */
export type NameValidator = (name: string, prefix: boolean) => string[];

function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

/** NameIsDNSSubdomain: most kinds (pods, deployments, configmaps, nodes, events...). */
export const nameIsDNSSubdomain: NameValidator = (name, prefix) =>
  isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);

/** NameIsDNSLabel: namespaces. */
export const nameIsDNSLabel: NameValidator = (name, prefix) =>
  isDNS1123Label(prefix ? maskTrailingDash(name) : name);

/** NameIsDNS1035Label: services. */
export const nameIsDNS1035Label: NameValidator = (name, prefix) =>
  isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** ValidateLabels checks label keys (qualified names) and values; errors name `path`. */
export function validateLabels(
  labels: Readonly<Record<string, string>>,
  path: string,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    for (const message of isQualifiedName(key)) errors.push(fieldInvalid(path, key, message));
    for (const message of isValidLabelValue(value)) {
      errors.push(fieldInvalid(path, value, message));
    }
  }
  return errors;
}

/** ValidateAnnotations checks annotation keys and the 256 KiB total size. */
export function validateAnnotations(
  annotations: Readonly<Record<string, string>>,
  path: string,
): FieldError[] {
  const errors: FieldError[] = [];
  let totalBytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const message of isQualifiedName(key.toLowerCase())) {
      errors.push(fieldInvalid(path, key, message));
    }
    totalBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (totalBytes > totalAnnotationSizeLimitBytes) {
    errors.push(fieldTooLong(path, totalAnnotationSizeLimitBytes));
  }
  return errors;
}

/** ValidateNonnegativeField: `Invalid value: -1: must be greater than or equal to 0`. */
export function validateNonnegative(value: number | undefined, path: string): FieldError[] {
  return value !== undefined && value < 0 ? [fieldInvalid(path, value, isNegativeErrorMsg)] : [];
}

/** ObjectMetaOptions says how a kind validates its metadata. */
export interface ObjectMetaOptions {
  readonly namespaced: boolean;
  readonly nameValidator: NameValidator;
}

/** ValidateObjectMeta: name, generateName, namespace, labels, annotations, owners. */
export function validateObjectMeta(meta: ObjectMeta, options: ObjectMetaOptions): FieldError[] {
  const errors: FieldError[] = [];
  const generateName = meta.generateName ?? '';
  for (const message of generateName === '' ? [] : options.nameValidator(generateName, true)) {
    errors.push(fieldInvalid('metadata.generateName', generateName, message));
  }
  const name = meta.name ?? '';
  if (name === '') {
    errors.push(fieldRequired('metadata.name', 'name or generateName is required'));
  } else {
    for (const message of options.nameValidator(name, false)) {
      errors.push(fieldInvalid('metadata.name', name, message));
    }
  }
  errors.push(...validateNamespaceField(meta.namespace ?? '', options.namespaced));
  errors.push(...validateNonnegative(meta.generation, 'metadata.generation'));
  const record = meta as MutableRecord;
  errors.push(...validateLabels(stringMapAt(record, 'labels'), 'metadata.labels'));
  errors.push(...validateAnnotations(stringMapAt(record, 'annotations'), 'metadata.annotations'));
  errors.push(...validateOwnerReferences(arrayAt(record, 'ownerReferences')));
  for (const finalizer of arrayAt(record, 'finalizers')) {
    const text = typeof finalizer === 'string' ? finalizer : '';
    for (const message of isQualifiedName(text)) {
      errors.push(fieldInvalid('metadata.finalizers', text, message));
    }
  }
  return errors;
}

function validateNamespaceField(namespace: string, namespaced: boolean): FieldError[] {
  if (!namespaced) {
    return namespace === ''
      ? [] : [fieldForbidden('metadata.namespace', 'not allowed on this type')];
  }
  if (namespace === '') return [fieldRequired('metadata.namespace')];
  return nameIsDNSLabel(namespace, false)
    .map((message) => fieldInvalid('metadata.namespace', namespace, message));
}

function validateOwnerReferences(references: readonly unknown[]): FieldError[] {
  const path = 'metadata.ownerReferences';
  const errors: FieldError[] = [];
  const controllers: string[] = [];
  for (const reference of references.filter(isRecord)) {
    const apiVersion = stringAt(reference, 'apiVersion');
    const version = apiVersion.includes('/') ? apiVersion.split('/')[1] ?? '' : apiVersion;
    if (version === '') {
      errors.push(fieldInvalid(`${path}.apiVersion`, apiVersion, 'version must not be empty'));
    }
    for (const key of ['kind', 'name', 'uid']) {
      const value = stringAt(reference, key);
      if (value === '') {
        errors.push(fieldInvalid(`${path}.${key}`, value, `${key} must not be empty`));
      }
    }
    if (reference.controller === true) {
      controllers.push(`${stringAt(reference, 'kind')}/${stringAt(reference, 'name')}`);
    }
  }
  if (controllers.length > 1) {
    errors.push(fieldInvalid(path, { go: 'ownerReferences' }, 'Only one reference can have ' +
      `Controller set to true. Found "true" in references for ${controllers.join(' and ')}`));
  }
  return errors;
}

/** ValidateObjectMetaUpdate: name, namespace, uid and creationTimestamp are immutable. */
export function validateObjectMetaUpdate(next: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    const nextValue = next[key] ?? '';
    const oldValue = old[key] ?? '';
    if (nextValue !== oldValue) {
      errors.push(fieldInvalid(`metadata.${key}`, nextValue, 'field is immutable'));
    }
  }
  if (old.deletionTimestamp !== undefined) {
    const oldFinalizers = new Set(old.finalizers ?? []);
    const added = (next.finalizers ?? []).filter((name) => !oldFinalizers.has(name)).sort();
    if (added.length > 0) {
      errors.push(fieldForbidden('metadata.finalizers', 'no new finalizers can be added if the ' +
        `object is being deleted, found new finalizers ${goStringSlice(added).go}`));
    }
  }
  return errors;
}

/** ValidateImmutableField for JSON-equal values, with the new value rendered by the caller. */
export function immutableFieldError(path: string, rendered: string): FieldError {
  return fieldInvalid(path, { go: rendered }, 'field is immutable');
}

/** Quotes for messages that embed a value list (exported for kind files). */
export { goQuote, fieldPath };
