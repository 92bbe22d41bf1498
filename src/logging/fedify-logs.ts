import { configureSync, type LogLevel as LogTapeLevel, type LogRecord } from '@logtape/logtape';
import type { Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../config/config.js';

const TO_PINO = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
} as const satisfies Record<LogTapeLevel, string>;

const FROM_PINO: Record<LogLevel, LogTapeLevel | null> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
  fatal: 'fatal',
  silent: null,
};

/** LogTape's message parts alternate text and values; values are rendered as JSON. */
function render(record: LogRecord): string {
  return record.message
    .map((part, i) => (i % 2 === 0 ? String(part) : JSON.stringify(part)))
    .join('');
}

/**
 * Sends Fedify's logs (LogTape, category `fedify`) into our pino stream, so delivery failures and
 * signature rejections appear beside everything else, with Fedify's structured properties.
 */
export function routeFedifyLogs(logger: PinoLogger, level: LogLevel): void {
  const lowestLevel = FROM_PINO[level];
  configureSync({
    reset: true,
    sinks: {
      pino: (record) => {
        logger[TO_PINO[record.level]](
          { context: record.category.join('.'), ...record.properties },
          render(record),
        );
      },
    },
    loggers: [
      { category: ['logtape', 'meta'], sinks: [], lowestLevel: null },
      ...(lowestLevel === null ? [] : [{ category: 'fedify', sinks: ['pino'], lowestLevel }]),
    ],
  });
}
