import 'reflect-metadata';
import './federation/node-compat.js';
import type { Server } from 'node:http';
import type { Federation } from '@fedify/fedify';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { Logger } from 'nestjs-pino';
import type { HttpLogger } from 'pino-http';
import { AppModule } from './app.module.js';
import { settleWithin } from './common/settle-within.js';
import { servesHttp } from './config/config.js';
import type { RuntimeConfig } from './config/runtime.js';
import { federationMiddleware, MAX_BODY_BYTES } from './federation/federation.middleware.js';
import { FEDERATION } from './federation/federation.tokens.js';
import { ActorsService } from './actors/actors.service.js';
import { FollowerRepository } from './followers/follower.repository.js';
import { CommentIntake } from './comments/comment-intake.js';
import { MAX_FEED_BYTES } from './feeds/feeds.module.js';
import { cachedLookup } from './common/cached-lookup.js';
import { HTTP_LOGGER } from './logging/logging.module.js';
import { DOCS_PATH, serveApiDocs } from './openapi/serve-docs.js';

/** How long requests in flight may take once shutdown begins. */
const HTTP_DRAIN_MS = 2_000;

/** Largest `POST /api/v1/events` body: a 2,000,000-character story plus its envelope. */
const EVENT_BODY_BYTES = 8 * 1024 * 1024;

/** Paths Nest serves itself; everything else is offered to Fedify first. */
const NEST_PATHS = ['/api/', '/health/', '/websub/', '/metrics', DOCS_PATH];

/** A started service: for `web`/`all`, its HTTP server. */
export interface App {
  readonly server: Server | undefined;
  /** Stops taking new work, drains, and closes everything Nest owns. */
  close(): Promise<void>;
}

/**
 * Builds and starts the service for `config.role`. `web` and `all` listen on `config.port`;
 * `worker` starts no HTTP server.
 */
export async function createApp(config: RuntimeConfig): Promise<App> {
  const module = AppModule.forRoot(config);
  if (!servesHttp(config)) {
    const context = await NestFactory.createApplicationContext(module, { bufferLogs: true });
    context.useLogger(context.get(Logger));
    await context.init();
    return { server: undefined, close: () => context.close() };
  }

  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: true,
    bodyParser: false,
    forceCloseConnections: true,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  let stopping = false;
  app.use(
    (_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
      // Once shutdown has begun, keep-alive connections close after their current response.
      if (stopping) res.setHeader('Connection', 'close');
      next();
    },
  );
  app.use(app.get<HttpLogger>(HTTP_LOGGER));
  const federation = app.get<Federation<void>>(FEDERATION);
  const actors = app.get(ActorsService);
  const followers = app.get(FollowerRepository);
  const comments = app.get(CommentIntake);
  const customDomains = cachedLookup(async () => new Set(await actors.customDomains()), 30_000);
  app.use(
    federationMiddleware(federation, {
      origin: config.publicUrl.origin,
      skip: NEST_PATHS,
      isCustomDomain: async (hostname) => (await customDomains()).has(hostname),
      // Deletes of actors nobody here knows are dropped unprocessed (Mastodon sends them widely).
      isKnownActor: async (uri) =>
        (await followers.isKnown(uri)) || (await comments.isKnownAuthor(uri)),
    }),
  );
  // Stories can be long: events get a larger body limit than the rest of the API.
  app.use('/api/v1/events', express.json({ limit: EVENT_BODY_BYTES }));
  app.use('/api', express.json({ limit: MAX_BODY_BYTES }));
  // WebSub pushes are verified against their exact bytes.
  app.use('/websub', express.raw({ type: () => true, limit: MAX_FEED_BYTES }));
  serveApiDocs(app, config.publicUrl);
  await app.listen(config.port);
  const server: Server = app.getHttpServer();

  return {
    server,
    close: async () => {
      // Stop accepting connections; requests in flight get HTTP_DRAIN_MS to complete.
      stopping = true;
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      await settleWithin(closed, HTTP_DRAIN_MS);
      server.closeAllConnections();
      await app.close();
    },
  };
}
