// A counting TCP proxy in front of Postgres: forwards bytes unchanged and, from the frontend's
// side of the protocol, counts statements (Parse and simple Query messages, by normalised text)
// and round trips (Sync and Query messages). Used only by the `trace` scenario, so the timed runs
// talk to Postgres directly.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface SqlCounts {
  /** Statements sent, by normalised text (whitespace collapsed, long ones shortened). */
  readonly statements: Record<string, number>;
  /** Round trips: Sync messages (extended protocol) plus simple Query messages. */
  readonly roundTrips: number;
  readonly total: number;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export class SqlCountingProxy {
  private statements = new Map<string, number>();
  private roundTrips = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<SqlCountingProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => {
      server.listen(0, '127.0.0.1', resolve);
    });
    const proxy = new SqlCountingProxy(server, (server.address() as AddressInfo).port);
    server.on('connection', (client) => {
      proxy.pipe(client, target);
    });
    return proxy;
  }

  /** Counts since the last reset. */
  snapshot(): SqlCounts {
    const statements = Object.fromEntries([...this.statements].sort((a, b) => b[1] - a[1]));
    const total = [...this.statements.values()].reduce((a, b) => a + b, 0);
    return { statements, roundTrips: this.roundTrips, total };
  }

  reset(): void {
    this.statements = new Map();
    this.roundTrips = 0;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private pipe(client: Socket, target: { host: string; port: number }): void {
    const upstream = connect(target);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    let pending: Buffer = Buffer.alloc(0);
    let typed = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (!typed) {
          if (pending.length < 8) return;
          const len = pending.readInt32BE(0);
          if (pending.length < len) return;
          const code = pending.readInt32BE(4);
          if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) typed = true;
          pending = pending.subarray(len);
          continue;
        }
        if (pending.length < 5) return;
        const len = pending.readInt32BE(1);
        if (pending.length < 1 + len) return;
        this.count(pending.subarray(0, 1 + len));
        pending = pending.subarray(1 + len);
      }
    });
  }

  private count(message: Buffer): void {
    const type = String.fromCharCode(message[0] ?? 0);
    if (type === 'S') {
      this.roundTrips += 1;
    } else if (type === 'Q') {
      this.roundTrips += 1;
      this.add(cstring(message, 5));
    } else if (type === 'P') {
      const name = cstring(message, 5);
      this.add(cstring(message, 5 + Buffer.byteLength(name) + 1));
    }
  }

  private add(sql: string): void {
    const text = normalise(sql);
    this.statements.set(text, (this.statements.get(text) ?? 0) + 1);
  }
}

/** Whitespace collapsed; a long statement cut to its start and its WHERE clause's start. */
function normalise(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  if (text.length <= 90) return text;
  const where = text.lastIndexOf(' WHERE ');
  if (where < 0) return `${text.slice(0, 89)}…`;
  return `${text.slice(0, 45)}…${text.slice(where, where + 45)}`;
}

function cstring(buf: Buffer, at: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('utf8', at, end < 0 ? buf.length : end);
}
