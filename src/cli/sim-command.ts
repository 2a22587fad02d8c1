/**
 * @module cli/sim-command
 * `coracle sim`: placeholder until the simulator lands (being written now).
 */
import type { Command } from 'commander';

/** Registers `coracle sim`. */
export function registerSimCommand(program: Command): void {
  program.command('sim').description('run deterministic Raft simulation campaigns');
}
