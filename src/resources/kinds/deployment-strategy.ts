/**
 * @module resources/kinds/deployment-strategy
 * Validation of a Deployment's `spec.strategy` (ValidateDeploymentStrategy and
 * ValidateRollingUpdateDeployment in pkg/apis/apps/validation): Recreate takes no
 * rollingUpdate; RollingUpdate takes maxUnavailable/maxSurge as a non-negative integer or a
 * percentage no greater than 100%, and not both zero. Bad int-or-string values render as Go
 * prints an intstr.IntOrString with `%#v`.
 */
import type { FieldError } from '../types.js';
import {
  fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, goQuote,
} from '../field-errors.js';
import type { GoValue } from '../field-errors.js';
import { regexError, validateNonnegative } from '../meta-validation.js';
import { recordAt, stringAt } from '../object-access.js';
import type { MutableRecord } from '../object-access.js';

const percentFmt = '[0-9]+%';

function goIntOrString(value: unknown): GoValue {
  if (typeof value === 'number') {
    return { go: `intstr.IntOrString{Type:0, IntVal:${value}, StrVal:""}` };
  }
  const text = typeof value === 'string' ? value : '';
  return { go: `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(text)}}` };
}

/** The integer value of an int-or-percent (a percentage counts as its number). */
function intOrPercentValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^[0-9]+%$/.test(value)) return Number(value.slice(0, -1));
  return -1;
}

function validateIntOrPercent(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'number') return validateNonnegative(value, path);
  const text = typeof value === 'string' ? value : '';
  if (!/^[0-9]+%$/.test(text)) {
    return [fieldInvalid(path, goIntOrString(value), regexError('a valid percent string must ' +
      "be a numeric string followed by an ending '%'", percentFmt, '1%', '93%'))];
  }
  return intOrPercentValue(text) > 100
    ? [fieldInvalid(path, goIntOrString(value), 'must not be greater than 100%')] : [];
}

function validateRollingUpdate(rollingUpdate: MutableRecord, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const maxUnavailable = rollingUpdate.maxUnavailable;
  const maxSurge = rollingUpdate.maxSurge;
  errors.push(...validateIntOrPercent(maxUnavailable, `${path}.maxUnavailable`));
  errors.push(...validateIntOrPercent(maxSurge, `${path}.maxSurge`));
  if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
    errors.push(fieldInvalid(`${path}.maxUnavailable`, goIntOrString(maxUnavailable),
      'may not be 0 when `maxSurge` is 0'));
  }
  return errors;
}

/** Validates `spec.strategy` of a (defaulted) Deployment. */
export function validateDeploymentStrategy(strategy: MutableRecord | undefined): FieldError[] {
  const path = 'spec.strategy';
  const type = stringAt(strategy, 'type');
  const rollingUpdate = strategy === undefined ? undefined : recordAt(strategy, 'rollingUpdate');
  switch (type) {
    case 'Recreate':
      return rollingUpdate === undefined ? [] : [fieldForbidden(`${path}.rollingUpdate`,
        "may not be specified when strategy `type` is 'Recreate'")];
    case 'RollingUpdate':
      return rollingUpdate === undefined
        ? [fieldRequired(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')]
        : validateRollingUpdate(rollingUpdate, `${path}.rollingUpdate`);
    default:
      return [fieldNotSupported(`${path}.type`, type, ['Recreate', 'RollingUpdate'])];
  }
}
