/**
 * @module resources/label-selector
 * metav1.LabelSelector semantics: validation with apimachinery's messages
 * (ValidateLabelSelector, ValidateLabelSelectorRequirement), matching a label set, and Go's
 * `%#v` rendering of a selector for "field is immutable" messages. An absent selector is
 * distinct from an empty one (`{}`), as upstream: absent matches nothing, empty everything.
 */
import type { FieldError } from './types.js';
import {
  fieldForbidden, fieldInvalid, fieldRequired, goQuote, goStringMap, goStringSlice,
} from './field-errors.js';
import { isQualifiedName, isValidLabelValue, validateLabels } from './meta-validation.js';
import { recordsAt, stringAt, stringMapAt, stringsAt } from './object-access.js';
import type { MutableRecord } from './object-access.js';

/** Validates a metav1.LabelSelector at `path` (e.g. "spec.selector"). */
export function validateLabelSelector(selector: MutableRecord, path: string): FieldError[] {
  const errors: FieldError[] = [];
  recordsAt(selector, 'matchExpressions').forEach((requirement, index) => {
    const requirementPath = `${path}.matchExpressions[${index}]`;
    const values = stringValues(requirement);
    const operator = stringAt(requirement, 'operator');
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) {
        errors.push(fieldRequired(`${requirementPath}.values`,
          "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) {
        errors.push(fieldForbidden(`${requirementPath}.values`,
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
    } else {
      errors.push(fieldInvalid(`${requirementPath}.operator`, operator,
        'not a valid selector operator'));
    }
    const key = stringAt(requirement, 'key');
    for (const message of isQualifiedName(key)) {
      errors.push(fieldInvalid(`${requirementPath}.key`, key, message));
    }
    values.forEach((value, valueIndex) => {
      for (const message of isValidLabelValue(value)) {
        errors.push(fieldInvalid(`${requirementPath}.values[${valueIndex}]`, value, message));
      }
    });
  });
  errors.push(...validateLabels(stringMapAt(selector, 'matchLabels'), `${path}.matchLabels`));
  return errors;
}

function stringValues(requirement: MutableRecord): string[] {
  return stringsAt(requirement, 'values');
}

/** Returns true when the selector has neither matchLabels nor matchExpressions. */
export function isEmptyLabelSelector(selector: MutableRecord): boolean {
  return Object.keys(stringMapAt(selector, 'matchLabels')).length === 0
    && recordsAt(selector, 'matchExpressions').length === 0;
}

/** Returns true when `labels` satisfy every requirement of `selector`. */
export function labelSelectorMatches(
  selector: MutableRecord,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [key, value] of Object.entries(stringMapAt(selector, 'matchLabels'))) {
    if (labels[key] !== value) return false;
  }
  for (const requirement of recordsAt(selector, 'matchExpressions')) {
    const key = stringAt(requirement, 'key');
    const present = Object.hasOwn(labels, key);
    const values = stringValues(requirement);
    const value = labels[key] ?? '';
    switch (stringAt(requirement, 'operator')) {
      case 'In': if (!present || !values.includes(value)) return false; break;
      case 'NotIn': if (present && values.includes(value)) return false; break;
      case 'Exists': if (!present) return false; break;
      case 'DoesNotExist': if (present) return false; break;
      default: return false;
    }
  }
  return true;
}

/** Renders a selector as Go's `%#v` of a metav1.LabelSelector value. */
export function goLabelSelector(selector: MutableRecord | undefined): string {
  if (selector === undefined) return 'null';
  const matchLabels = selector.matchLabels === undefined
    ? goStringMap(undefined) : goStringMap(stringMapAt(selector, 'matchLabels'));
  const requirements = recordsAt(selector, 'matchExpressions').map((requirement) => {
    const rendered = goStringSlice(requirement.values === undefined
      ? undefined : stringValues(requirement));
    return `v1.LabelSelectorRequirement{Key:${goQuote(stringAt(requirement, 'key'))}, ` +
      `Operator:${goQuote(stringAt(requirement, 'operator'))}, Values:${rendered.go}}`;
  });
  const expressions = selector.matchExpressions === undefined
    ? '[]v1.LabelSelectorRequirement(nil)'
    : `[]v1.LabelSelectorRequirement{${requirements.join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${matchLabels.go}, MatchExpressions:${expressions}}`;
}
