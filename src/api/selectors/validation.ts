/**
 * @module api/selectors/validation
 * The label key and value checks of k8s.io/apimachinery/pkg/util/validation (IsQualifiedName,
 * IsValidLabelValue, IsDNS1123Subdomain) with their exact messages, which selector errors
 * quote. Each returns the list of problems, [] when the input is valid.
 */

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and "
  + 'must start and end with an alphanumeric character';
const qualifiedNameMaxLength = 63;
const qualifiedNameRegexp = new RegExp(`^${qualifiedNameFmt}$`);

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric "
  + "characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueMaxLength = 63;
const labelValueRegexp = new RegExp(`^${labelValueFmt}$`);

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrorMsg = 'a lowercase RFC 1123 subdomain must consist of lower case '
  + "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const dns1123SubdomainMaxLength = 253;
const dns1123SubdomainRegexp = new RegExp(`^${dns1123SubdomainFmt}$`);

/** Renders upstream's RegexError: the message, examples, and the regex. */
function regexError(message: string, format: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${format}')`;
  // NB: upstream writes "'a', " then " or " between examples, hence the double spaces.
  const listed = examples.map((example) => `'${example}', `).join(' or ');
  return `${message} (e.g. ${listed}regex used for validation is '${format}')`;
}

function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** Checks a DNS-1123 subdomain (a label key prefix). */
export function isDNS1123Subdomain(value: string): string[] {
  const errors: string[] = [];
  if (value.length > dns1123SubdomainMaxLength) errors.push(maxLenError(dns1123SubdomainMaxLength));
  if (!dns1123SubdomainRegexp.test(value)) {
    errors.push(regexError(dns1123SubdomainErrorMsg, dns1123SubdomainFmt, 'example.com'));
  }
  return errors;
}

/** Checks a qualified name: `[prefix/]name`, as label and annotation keys are. */
export function isQualifiedName(value: string): string[] {
  const errors: string[] = [];
  const parts = value.split('/');
  if (parts.length > 2) {
    return [`a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName',
      'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. `
      + "'example.com/MyName')"];
  }
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0) errors.push('prefix part must be non-empty');
    else errors.push(...isDNS1123Subdomain(prefix).map((message) => `prefix part ${message}`));
  }
  if (name.length === 0) errors.push('name part must be non-empty');
  else if (name.length > qualifiedNameMaxLength) {
    errors.push(`name part ${maxLenError(qualifiedNameMaxLength)}`);
  }
  if (!qualifiedNameRegexp.test(name)) {
    errors.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName',
      'my.name', '123-abc')}`);
  }
  return errors;
}

/** Checks a label value: empty, or at most 63 alphanumerics with `-`, `_`, `.` inside. */
export function isValidLabelValue(value: string): string[] {
  const errors: string[] = [];
  if (value.length > labelValueMaxLength) errors.push(maxLenError(labelValueMaxLength));
  if (!labelValueRegexp.test(value)) {
    errors.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  }
  return errors;
}
