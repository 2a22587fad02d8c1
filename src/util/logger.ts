/**
 * @module util/logger
 * The logging port cores use (shared/STYLE.md §6): structured fields first, message second,
 * the same shape as pino so a shell can pass a pino child straight in.
 */

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** Logger is the minimal structured logger cores depend on. */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/** One captured log line, for tests that check logs as data. */
export interface CapturedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: LogFields;
  message: string;
}

/** A logger that discards everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** CapturingLogger records lines in a bounded ring so tests can assert on them. */
export class CapturingLogger implements Logger {
  readonly lines: CapturedLine[] = [];

  /** Creates a logger keeping at most `linesMax` lines (oldest dropped first). */
  constructor(private readonly linesMax = 10_000) {}

  debug(fields: LogFields, message: string): void {
    this.push({ level: 'debug', fields, message });
  }
  info(fields: LogFields, message: string): void {
    this.push({ level: 'info', fields, message });
  }
  warn(fields: LogFields, message: string): void {
    this.push({ level: 'warn', fields, message });
  }
  error(fields: LogFields, message: string): void {
    this.push({ level: 'error', fields, message });
  }

  private push(line: CapturedLine): void {
    if (this.lines.length >= this.linesMax) this.lines.shift();
    this.lines.push(line);
  }
}
