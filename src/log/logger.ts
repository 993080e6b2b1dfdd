// Structured agent log: winston JSON lines, an object first and a short
// lowercase phrase. Key material must never be passed to a logger.
import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** Log file; omitted means standard error. */
  file?: string;
  level?: 'error' | 'warn' | 'info' | 'debug';
}

const REDACTED_FIELDS = new Set(['key', 'keyMaterial', 'passphrase', 'secret', 'material']);

const redact = winston.format((info) => {
  for (const field of Object.keys(info)) {
    if (REDACTED_FIELDS.has(field)) info[field] = '[redacted]';
  }
  return info;
});

/** Create the agent's JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const transport = options.file
    ? new winston.transports.File({ filename: options.file })
    : new winston.transports.Stream({ stream: process.stderr });
  return winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
}

/** A logger that drops everything; the default where none is injected. */
export function nullLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
