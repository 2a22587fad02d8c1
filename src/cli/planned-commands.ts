/**
 * @module cli/planned-commands
 * Subcommands whose modules are not built yet. They are registered so `coracle --help` shows
 * the whole shape of the tool, and each one says plainly that it is not available yet and
 * exits non-zero, so no script mistakes it for working.
 */
import type { Command } from 'commander';

const planned: ReadonlyArray<{ name: string; summary: string }> = [
  { name: 'agent', summary: 'run a node agent (kubelet + proxy)' },
];

/** Registers every planned subcommand; each exits with status 2 and an explanation. */
export function registerPlannedCommands(program: Command): void {
  for (const { name, summary } of planned) {
    if (program.commands.some((command) => command.name() === name)) continue;
    program
      .command(name)
      .description(`${summary} (not built yet)`)
      .allowUnknownOption(true)
      .allowExcessArguments(true)
      .action(() => {
        console.error(`coracle ${name}: not built yet in this version of Coracle. ` +
          'See `coracle --help` for what works today.');
        process.exitCode = 2;
      });
  }
}
