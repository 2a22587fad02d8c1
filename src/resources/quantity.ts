/**
 * @module resources/quantity
 * Just enough of resource.Quantity (k8s.io/apimachinery/pkg/api/resource) for defaulting
 * and validation: parse "100m", "1.5", "1Gi", "2e3", "500M" into a number of base units so
 * requests and limits can be compared (QoS class, requests <= limits). Values are compared as
 * doubles, which is exact for the integers and milli-units that appear in practice; a
 * quantity that does not parse yields undefined (structural validation reports it).
 */

const binarySuffixes: Readonly<Record<string, number>> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const decimalSuffixes: Readonly<Record<string, number>> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

const quantityPattern = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE])?$/;

/** Parses a quantity (string or JSON number) into base units; undefined if malformed. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = quantityPattern.exec(value.trim());
  if (match === null) return undefined;
  const mantissa = Number(match[1]);
  const suffix = match[2] ?? '';
  if (Number.isNaN(mantissa)) return undefined;
  const binary = binarySuffixes[suffix];
  if (binary !== undefined) return mantissa * binary;
  if (suffix.startsWith('e') || suffix.startsWith('E')) {
    return mantissa * 10 ** Number(suffix.slice(1));
  }
  const decimal = decimalSuffixes[suffix];
  return decimal === undefined ? undefined : mantissa * decimal;
}

/** Compares two quantities as Quantity.Cmp: -1, 0 or 1 (within a relative 1e-12). */
export function compareQuantities(left: number, right: number): -1 | 0 | 1 {
  const scale = Math.max(Math.abs(left), Math.abs(right), 1e-9);
  if (Math.abs(left - right) <= scale * 1e-12) return 0;
  return left < right ? -1 : 1;
}

/** Renders a quantity the way the object carries it (string as is, number in decimal). */
export function quantityText(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}
