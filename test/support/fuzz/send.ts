/**
 * Sends fuzz cases over keep-alive connections with bounded concurrency, and reads a process's
 * resident memory.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';

import type { InboxCase } from './inbox-cases.js';

/** What came back for one case: a status, or the error that prevented one. */
export interface Outcome {
  readonly status: number;
  /** Set when no response arrived (`status` is 0). */
  readonly error?: string;
  /** The start of an error response's body (4xx, 5xx), for the report. */
  readonly body?: string;
}

/** Options of {@link sendCase}. */
export interface SendOptions {
  readonly agent: Agent;
  /** Deadline of one exchange; a hang past it is an outcome, not a rejection. */
  readonly timeoutMs: number;
}

/**
 * Sends one case exactly as built (headers, bytes, method) and resolves with its status. Oversized
 * bodies go on a connection of their own: the server may answer 413 and close it mid-upload, and an
 * error after the response is not a failure (RFC 9112 §9.5).
 */
export function sendCase(c: InboxCase, options: SendOptions): Promise<Outcome> {
  const url = new URL(c.url);
  const headers: Record<string, string> = { ...c.headers };
  if (c.body !== undefined && headers['transfer-encoding'] === undefined) {
    headers['content-length'] = String(c.body.length);
  }
  return new Promise((resolve) => {
    let status = 0;
    let settled = false;
    const done = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const req = request(
      {
        host: url.hostname,
        port: Number(url.port),
        method: c.method,
        path: url.pathname + url.search,
        headers,
        setHost: headers.host === undefined,
        agent: c.oversized ? false : options.agent,
        timeout: options.timeoutMs,
      },
      (res) => {
        status = res.statusCode ?? 0;
        let body = '';
        if (status >= 400) {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (body.length < 300) body += chunk;
          });
        } else {
          res.resume();
        }
        res.once('end', () => {
          done(status >= 400 ? { status, body: body.slice(0, 300) } : { status });
        });
        res.once('error', () => {
          done({ status });
        });
      },
    );
    req.once('timeout', () => {
      req.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    });
    req.once('error', (error: NodeJS.ErrnoException) => {
      done(status !== 0 ? { status } : { status: 0, error: error.code ?? error.message });
    });
    req.end(c.body);
  });
}

/** A keep-alive agent for `sockets` concurrent requests. */
export function keepAliveAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
}

/** Resident set size of a Linux process, in bytes (`VmRSS` of `/proc/<pid>/status`). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/**
 * Runs `worker` on every index in [0, count) with at most `concurrency` at once, in index order of
 * start.
 */
export async function forEachConcurrently(
  count: number,
  concurrency: number,
  worker: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next++;
      await worker(index);
    }
  });
  await Promise.all(lanes);
}
