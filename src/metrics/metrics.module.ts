import { getQueueToken } from '@nestjs/bullmq';
import { type DynamicModule, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import type { RuntimeConfig } from '../config/runtime.js';
import { QueueHealthIndicator } from '../health/queue.health.js';
import { ALL_QUEUES } from '../queue/jobs.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsRepository } from './metrics.repository.js';
import { MetricsServer } from './metrics-server.js';
import { createRegistry, Metrics, METRICS_REGISTRY } from './metrics.js';
import { readQueueDepth } from './queue-depth.js';

/** Registers the readings every process exposes: queue depths and comments by status. */
@Injectable()
class MetricsSources implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly repository: MetricsRepository,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    const queues = ALL_QUEUES.map((name) =>
      this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }),
    );
    this.metrics.queueSource(() => Promise.all(queues.map((queue) => readQueueDepth(queue))));
    this.metrics.commentSource(() => this.repository.commentsByStatus());
  }
}

/**
 * Prometheus metrics: one registry per process, the {@link Metrics} hooks everywhere (global), and
 * `GET /metrics`. Production roles (`web`, `worker`) serve it on `METRICS_PORT`, with the health
 * endpoints beside it, and never on the public port an Ingress routes to; `ROLE=all` (one process,
 * trying it out) serves it on its main port. See docs/metrics.md.
 */
@Module({})
export class MetricsModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    const onMainPort = config.role === 'all';
    return {
      module: MetricsModule,
      global: true,
      imports: onMainPort ? [] : [TerminusModule],
      controllers: onMainPort ? [MetricsController] : [],
      providers: [
        { provide: METRICS_REGISTRY, useFactory: createRegistry },
        Metrics,
        MetricsRepository,
        MetricsSources,
        ...(onMainPort ? [] : [QueueHealthIndicator, MetricsServer]),
      ],
      exports: [Metrics],
    };
  }
}
