/**
 * @module resources/kinds/config
 * core/v1 ConfigMap and Secret: config-key validation, the 1 MiB size limit, immutable data
 * once `immutable: true` (ValidateConfigMapUpdate, ValidateSecretUpdate), Secret type rules
 * (service-account-token, basic-auth, ssh-auth, tls) and immutable type, `stringData`
 * folded into base64 `data` (as the v1 conversion does), type Opaque by default, and the
 * DATA / TYPE columns of printers.go.
 */
import type { FieldError, KubeObject, TableCell } from '../types.js';
import { fieldForbidden, fieldInvalid, fieldRequired, fieldTooLong } from '../field-errors.js';
import { isConfigMapKey, nameIsDNSSubdomain } from '../meta-validation.js';
import { isRecord, jsonEqual, recordAt, stringAt, stringMapAt } from '../object-access.js';
import { ageColumn, column, nameColumn, translateTimestampSince } from '../printing.js';
import { defineKind } from './common.js';

/** MaxSecretSizeBytes bounds the data of a Secret or ConfigMap (core.MaxSecretSize). */
export const maxSecretSizeBytes = 1024 * 1024;

function keyErrors(keys: readonly string[], path: string): FieldError[] {
  return keys.flatMap((key) =>
    isConfigMapKey(key).map((message) => fieldInvalid(`${path}[${key}]`, key, message)));
}

/** Forbids data changes once the stored object was immutable. */
function immutableErrors(
  object: KubeObject,
  old: KubeObject | undefined,
  dataKeys: readonly string[],
): FieldError[] {
  if (old?.immutable !== true) return [];
  const detail = 'field is immutable when `immutable` is set';
  const errors: FieldError[] = [];
  if (object.immutable !== true) errors.push(fieldForbidden('immutable', detail));
  for (const key of dataKeys) {
    if (!jsonEqual(object[key] ?? {}, old[key] ?? {})) errors.push(fieldForbidden(key, detail));
  }
  return errors;
}

function validateConfigMap(configMap: KubeObject, old: KubeObject | undefined): FieldError[] {
  const data = stringMapAt(configMap, 'data');
  const binaryData = stringMapAt(configMap, 'binaryData');
  const errors = [...keyErrors(Object.keys(data), 'data'),
    ...keyErrors(Object.keys(binaryData), 'binaryData')];
  let totalBytes = 0;
  for (const [key, value] of Object.entries(data)) totalBytes += key.length + value.length;
  for (const [key, value] of Object.entries(binaryData)) {
    if (Object.hasOwn(data, key)) {
      errors.push(fieldInvalid(`binaryData[${key}]`, key, 'duplicate of key present in data'));
    }
    totalBytes += key.length + Buffer.from(value, 'base64').length;
  }
  if (totalBytes > maxSecretSizeBytes) errors.push(fieldTooLong('', maxSecretSizeBytes));
  errors.push(...immutableErrors(configMap, old, ['data', 'binaryData']));
  return errors;
}

/** The core/v1 ConfigMap definition. */
export const configMapDefinition = defineKind({
  group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', singular: 'configmap',
  namespaced: true, shortNames: ['cm'],
  hasGeneration: false, hasStatus: false, nameValidator: nameIsDNSSubdomain,
  columns: [nameColumn, column('Data', 'string', 'Data contains the configuration data.'),
    ageColumn],
  validateKind: validateConfigMap,
  tableCells: (configMap, now): TableCell[] => [
    configMap.metadata.name ?? '',
    Object.keys(recordAt(configMap, 'data') ?? {}).length
      + Object.keys(recordAt(configMap, 'binaryData') ?? {}).length,
    translateTimestampSince(configMap.metadata.creationTimestamp, now),
  ],
});

function applySecretDefaults(secret: KubeObject): void {
  if (stringAt(secret, 'type') === '') secret.type = 'Opaque';
  // NB: stringData is write-only: v1 conversion merges it into data (it wins) and drops it.
  const stringData = secret.stringData;
  if (isRecord(stringData)) {
    const data: Record<string, unknown> = isRecord(secret.data) ? secret.data : {};
    for (const [key, value] of Object.entries(stringData)) {
      if (typeof value === 'string') data[key] = Buffer.from(value, 'utf8').toString('base64');
    }
    secret.data = data;
  }
  delete secret.stringData;
}

function secretTypeErrors(secret: KubeObject, data: Record<string, string>): FieldError[] {
  const has = (key: string): boolean => Object.hasOwn(data, key);
  switch (stringAt(secret, 'type')) {
    case 'kubernetes.io/service-account-token': {
      const name = secret.metadata.annotations?.['kubernetes.io/service-account.name'] ?? '';
      return name === ''
        ? [fieldRequired('metadata.annotations[kubernetes.io/service-account.name]')] : [];
    }
    case 'kubernetes.io/basic-auth':
      return has('username') || has('password')
        ? [] : [fieldRequired('data[username]'), fieldRequired('data[password]')];
    case 'kubernetes.io/ssh-auth':
      return (data['ssh-privatekey'] ?? '') === '' ? [fieldRequired('data[ssh-privatekey]')] : [];
    case 'kubernetes.io/tls':
      return [...(has('tls.crt') ? [] : [fieldRequired('data[tls.crt]')]),
        ...(has('tls.key') ? [] : [fieldRequired('data[tls.key]')])];
    case 'kubernetes.io/dockerconfigjson':
      return has('.dockerconfigjson') ? [] : [fieldRequired('data[.dockerconfigjson]')];
    default:
      return [];
  }
}

function validateSecret(secret: KubeObject, old: KubeObject | undefined): FieldError[] {
  const data = stringMapAt(secret, 'data');
  const errors = keyErrors(Object.keys(data), 'data');
  let totalBytes = 0;
  for (const value of Object.values(data)) totalBytes += Buffer.from(value, 'base64').length;
  if (totalBytes > maxSecretSizeBytes) errors.push(fieldTooLong('data', maxSecretSizeBytes));
  errors.push(...secretTypeErrors(secret, data));
  if (old !== undefined && stringAt(secret, 'type') !== stringAt(old, 'type')) {
    errors.push(fieldInvalid('type', stringAt(secret, 'type'), 'field is immutable'));
  }
  errors.push(...immutableErrors(secret, old, ['data']));
  return errors;
}

/** The core/v1 Secret definition. */
export const secretDefinition = defineKind({
  group: '', version: 'v1', kind: 'Secret', resource: 'secrets', singular: 'secret',
  namespaced: true,
  hasGeneration: false, hasStatus: false, nameValidator: nameIsDNSSubdomain,
  columns: [
    nameColumn,
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Data contains the secret data.'),
    ageColumn,
  ],
  applyDefaults: applySecretDefaults,
  validateKind: validateSecret,
  tableCells: (secret, now): TableCell[] => [
    secret.metadata.name ?? '', stringAt(secret, 'type'),
    Object.keys(recordAt(secret, 'data') ?? {}).length,
    translateTimestampSince(secret.metadata.creationTimestamp, now),
  ],
  kindFieldLabels: (secret) => ({ type: stringAt(secret, 'type') }),
});
