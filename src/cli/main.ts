#!/usr/bin/env node
/**
 * @module cli/main
 * The `coracle` command line: one commander program with a thin subcommand per entry point
 * (shared/DESIGN.md §1). Subcommands live in their own files and only parse flags, then hand
 * over to the module that does the work.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerChaosCommand } from './chaos-command.js';
import { registerServerCommand } from './server-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerUpCommand } from './up-command.js';
import { registerSimCommand } from './sim-command.js';
import { registerBenchCommand } from './bench-command.js';
import { registerPlannedCommands } from './planned-commands.js';
import { AssertionError } from '../util/assert.js';

function packageVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
  const parsed = JSON.parse(readFileSync(url, 'utf8')) as { version?: string };
  return parsed.version ?? '0.0.0';
}

/** Builds the commander program with every registered subcommand. */
export function buildProgram(): Command {
  const program = new Command('coracle')
    .description('Coracle: a Kubernetes-compatible orchestrator with its own Raft control plane')
    .version(packageVersion(), '-v, --version', 'print the Coracle version')
    .showHelpAfterError();
  registerSimCommand(program);
  registerServerCommand(program);
  registerUpCommand(program);
  registerStatusCommand(program);
  registerChaosCommand(program);
  registerBenchCommand(program);
  registerPlannedCommands(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof AssertionError) {
      // Crash-only: a broken invariant ends the process with the stack for the bug report.
      console.error(error.stack);
      process.exit(70);
    }
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}

await main();
