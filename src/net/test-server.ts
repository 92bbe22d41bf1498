import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server for the specs of this folder, counting what reaches it. */
export interface TestServer {
  /** `http://host:port` + `path`. */
  url(path?: string): string;
  readonly port: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Paths requested so far, in order. */
  readonly paths: readonly string[];
  close(): Promise<void>;
}

/** Starts a server on `host` (default 127.0.0.1) and a free port. Test helper only. */
export async function startServer(
  handler: RequestListener,
  host = '127.0.0.1',
): Promise<TestServer> {
  const paths: string[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    handler(req, res);
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => {
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/') => `http://${host}:${port}${path}`,
    port,
    get connections() {
      return connections;
    },
    paths,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

/** A local port nothing listens on (bound, then released). Test helper only. */
export async function closedPort(): Promise<number> {
  const server = await startServer(() => {
    // never called
  });
  await server.close();
  return server.port;
}
