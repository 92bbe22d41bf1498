import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  ServiceUnavailableException,
} from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { QueueHealthIndicator } from '../health/queue.health.js';
import { Metrics } from './metrics.js';

/**
 * For the production roles (`web`, `worker`): a plain node:http listener on `METRICS_PORT`
 * (0: none), apart from the public port, that serves `GET /metrics`, `/health/live` and
 * `/health/ready` — the same readiness as the web role's (database and queue backend answer).
 * Started after boot, closed at shutdown. A port that cannot be bound is logged; the process runs
 * on without it (its probes on that port then fail, which shows it).
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  #server: Server | undefined;

  constructor(
    private readonly metrics: Metrics,
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly queue: QueueHealthIndicator,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.metricsPort;
    if (port === 0) return;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.logger.warn(`${req.url ?? ''}: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.logger.error(`metrics and health not served: port ${port}: ${String(error)}`);
      return;
    }
    this.#server = server;
    this.logger.log(`metrics and health on port ${port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/metrics': {
        const body = await this.metrics.render();
        res.writeHead(200, {
          'Content-Type': this.metrics.contentType,
          'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      case '/health/live':
        json(res, 200, await this.health.check([]));
        return;
      case '/health/ready':
        try {
          // The checks of HealthController.ready.
          json(
            res,
            200,
            await this.health.check([
              () => this.database.pingCheck('database', { timeout: 2_000 }),
              () => this.queue.check('queue'),
            ]),
          );
        } catch (error) {
          if (!(error instanceof ServiceUnavailableException)) throw error;
          json(res, 503, error.getResponse());
        }
        return;
      default:
        json(res, 404, { error: 'not_found', message: 'this port serves /metrics and /health/*' });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
