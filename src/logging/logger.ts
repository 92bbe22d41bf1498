import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../config/config.js';

const REQUEST_ID_HEADER = 'x-request-id';
const VALID_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Where log lines go: JSON lines on stdout, or the same records pretty-printed when stdout is a
 * terminal (`LOG_FORMAT=json` forces JSON there too).
 */
export function logDestination(): DestinationStream {
  const wantsPretty = process.stdout.isTTY && process.env.LOG_FORMAT !== 'json';
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
export function rootLogger(level: LogLevel): PinoLogger {
  return pino({ level, base: null }, logDestination());
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
