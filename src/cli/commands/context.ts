import 'reflect-metadata';
import '../../federation/node-compat.js';
import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { NestFactory } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import type { Runtime } from '../../config/runtime.js';
import type { QueueName } from '../../queue/jobs.js';
import { CliModule, cliConfig } from './cli.module.js';
import { CliError, type CliIo, describeError } from './command.js';
import { openDatabase } from './database.js';

/** Nest's log lines: warnings and errors go to stderr; the rest is the service's chatter. */
class StderrLogger implements LoggerService {
  /** Set once Nest has closed: connections the database's shutdown cuts are not news. */
  muted = false;
  constructor(private readonly io: CliIo) {}
  log(): void {
    // Startup and routine lines are not the operator's business here.
  }
  warn(message: unknown, context?: unknown): void {
    if (this.muted) return;
    this.io.err(`warning: ${line(message, context)}`);
  }
  error(message: unknown, ...rest: unknown[]): void {
    if (this.muted) return;
    this.io.err(`error: ${line(message, rest.at(-1))}`);
  }
}

function line(message: unknown, context: unknown): string {
  const text = message instanceof Error ? message.message : String(message);
  return typeof context === 'string' && context !== '' ? `[${context}] ${text}` : text;
}

/** The service's modules, booted for one command, on the service's database and queues. */
export interface CliContext {
  get<T>(token: abstract new (...args: never[]) => T): T;
  /** A queue of the service, as a producer (no worker runs here). */
  queue(name: QueueName): Queue;
  /** Closes Nest (queues, pools), then the embedded database when this process started it. */
  close(): Promise<void>;
}

/**
 * Opens the database (see {@link openDatabase}), checks it is migrated, and boots
 * {@link CliModule} as a Nest application context: no HTTP server, no queue workers.
 */
export async function openContext(config: AppConfig, io: CliIo): Promise<CliContext> {
  const runtime = await openDatabase(config, { mayCreate: false, note: io.err });
  const logger = new StderrLogger(io);
  let app: INestApplicationContext | undefined;
  try {
    app = await NestFactory.createApplicationContext(CliModule.forRoot(cliConfig(runtime.config)), {
      logger,
      abortOnError: false,
    });
    await app.init();
    const db = app.get<DataSource>(getDataSourceToken());
    if (await db.showMigrations()) {
      throw new CliError('the database has pending migrations: run `fedi-bridge migrate` first');
    }
  } catch (error) {
    await app?.close().catch(() => undefined);
    await runtime.stop().catch(() => undefined);
    if (error instanceof CliError) throw error;
    throw new CliError(`could not start: ${describeError(error)}`);
  }
  return contextOf(app, runtime, logger);
}

function contextOf(
  app: INestApplicationContext,
  runtime: Runtime,
  logger: StderrLogger,
): CliContext {
  return {
    get: (token) => app.get(token, { strict: false }),
    queue: (name) => app.get<Queue>(getQueueToken(name), { strict: false }),
    close: async () => {
      try {
        await app.close();
      } finally {
        logger.muted = true;
        await runtime.stop();
      }
    },
  };
}
