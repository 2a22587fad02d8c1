/**
 * @module cli/planned-commands
 * Subcommands whose modules are not built yet. They are registered so `coracle --help` shows
 * the whole shape of the tool, and each one says plainly that it is not available yet and
 * exits non-zero, so no script mistakes it for working.
 */
import type { Command } from 'commander';

const planned: ReadonlyArray<{ name: string; summary: string }> = [
  { name: 'server', summary: 'run one control-plane peer (Raft + store + APIs)' },
  { name: 'up', summary: 'start a whole local cluster (3 peers + agents)' },
  { name: 'agent', summary: 'run a node agent (kubelet + proxy)' },
  { name: 'status', summary: 'show members, leader, term, commit/applied index and lag' },
  { name: 'chaos', summary: 'fault injection against a live cluster with history checking' },
  { name: 'bench', summary: 'benchmarks, side by side with etcd when installed' },
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
          'What works today: `coracle sim` (the deterministic Raft simulator).');
        process.exitCode = 2;
      });
  }
}
