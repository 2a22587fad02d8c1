/**
 * @module cli/logger
 * The process logger: pino JSON lines (pretty in a terminal), adapted to the core's Logger
 * port so the same object can be handed to cores and shells.
 */
import { pino } from 'pino';
import type { Logger } from '../util/logger.js';

/** Creates the process logger writing to stderr; pretty-printed when stderr is a terminal. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const level = options.level ?? process.env.CORACLE_LOG_LEVEL ?? 'info';
  const base = { ...(options.name === undefined ? {} : { name: options.name }) };
  if (process.stderr.isTTY) {
    return pino({ level, base, transport: {
      target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l' },
    } });
  }
  return pino({ level, base }, pino.destination({ dest: 2, sync: false }));
}
