import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from '../config/config.js';

const REQUEST_ID_HEADER = 'x-request-id';
const VALID_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Where log lines go: JSON lines on stdout, or the same records pretty-printed when stdout is a
 * terminal (`LOG_FORMAT=json` forces JSON there too).
 */
export function logDestination(format: LogFormat): DestinationStream {
  const wantsPretty = format === 'auto' && process.stdout.isTTY;
  return wantsPretty
    ? pretty({
        colorize: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        singleLine: true,
      })
    : pino.destination({ dest: 1, sync: true });
}

/** A plain pino logger for what is not Nest's: boot (embedded Postgres, migrations), Fedify. */
export function rootLogger(level: LogLevel, format: LogFormat): PinoLogger {
  return pino({ level, base: null }, logDestination(format));
}

/**
 * The request id for a request: the caller's `X-Request-Id` when it is well formed, otherwise a
 * new UUID. It is echoed in the response so callers can quote it.
 */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
