/**
 * @module bench/wait
 * Small waiting helpers for the benchmark shell: sleep, and poll a TCP port until it
 * accepts connections, each with a deadline.
 */
import { connect } from 'node:net';

/** Resolves after `durationMs`. */
export function sleep(durationMs: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, durationMs));
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolveTry) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveTry(true);
    });
    socket.once('error', () => resolveTry(false));
  });
}

/** Polls 127.0.0.1:`port` every 20 ms until it accepts a connection; throws past the deadline. */
export async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await tryConnect(port)) return;
    await sleep(20);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${deadlineMs} ms`);
}
