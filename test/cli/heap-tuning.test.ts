/**
 * Goal: the server leaves a heap growth the operator chose alone, and peers spawned by the
 * CLI get the young-generation flag. Method: call tuneHeapGrowth with command lines that
 * name the flag (it then sets nothing), and inspect the flags local-cluster passes.
 */
import { describe, expect, it } from 'vitest';
import { peerNodeFlags, tuneHeapGrowth } from '../../src/cli/heap-tuning.js';

describe('heap tuning', () => {
  it.each([
    ['--heap-growing-percent=20'],
    ['--heap_growing_percent=0'],
    ['--heap-growing-percent'],
  ])('keeps the operator\'s %s', (flag) => {
    expect(tuneHeapGrowth({ execArgv: ['--max-semi-space-size=8', flag] })).toBeUndefined();
  });

  it('gives peers a young generation of 8 MiB semi-spaces', () => {
    expect(peerNodeFlags).toEqual(['--max-semi-space-size=8']);
  });
});
