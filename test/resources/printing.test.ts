/**
 * Goal: age strings match upstream's duration.HumanDuration and translateTimestampSince
 * byte for byte, and label/selector formatting matches labels.FormatLabels and
 * metav1.FormatLabelSelector. Method: tables of durations straddling every threshold of
 * duration.go, and of selectors covering each operator.
 */
import { describe, expect, it } from 'vitest';
import {
  formatLabelSelector, formatLabels, humanDuration, translateTimestampSince,
} from '../../src/resources/printing.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration', () => {
  it.each([
    [-2 * s, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [45 * s, '45s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [5 * m + 30 * s, '5m30s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 20 * m, '3h20m'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [2 * d + 3 * h, '2d3h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d, '8d'],
    [729 * d, '729d'],
    [730 * d, '2y'],
    [760 * d, '2y30d'],
    [8 * 365 * d, '8y'],
  ])('%i ms -> %s', (durationMs, expected) => {
    expect(humanDuration(durationMs)).toBe(expected);
  });
});

describe('translateTimestampSince', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  it.each([
    [undefined, '<unknown>'],
    ['', '<unknown>'],
    ['not a time', '<unknown>'],
    ['2024-05-01T11:55:00Z', '5m'],
    ['2024-05-01T11:59:15Z', '45s'],
    ['2024-04-29T09:00:00Z', '2d3h'],
  ])('%s -> %s', (timestamp, expected) => {
    expect(translateTimestampSince(timestamp, now)).toBe(expected);
  });
});

describe('formatting labels and selectors', () => {
  it.each([
    [{}, '<none>'],
    [{ b: '2', a: '1' }, 'a=1,b=2'],
  ])('formatLabels(%j) = %s', (labels, expected) => {
    expect(formatLabels(labels)).toBe(expected);
  });

  it.each([
    [undefined, '<none>'],
    [{}, '<none>'],
    [{ matchLabels: { app: 'web' } }, 'app=web'],
    [{ matchLabels: { tier: 'x' }, matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod', 'dev'] },
      { key: 'zone', operator: 'NotIn', values: ['a'] },
      { key: 'beta', operator: 'Exists' },
      { key: 'alpha', operator: 'DoesNotExist' },
    ] }, '!alpha,beta,env in (dev,prod),tier=x,zone notin (a)'],
    [{ matchExpressions: [{ key: 'k', operator: 'Bogus' }] }, '<error>'],
  ])('formatLabelSelector(%j) = %s', (selector, expected) => {
    expect(formatLabelSelector(selector)).toBe(expected);
  });
});
