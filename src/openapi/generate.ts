import 'reflect-metadata';
import '../federation/node-compat.js';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { DOCUMENT_SERVER_URL, openApiDocument } from './document.js';

/**
 * A configuration that serves HTTP (so every controller is registered) and is never connected:
 * in preview mode Nest reads the module graph and instantiates no provider.
 */
function previewConfig(): RuntimeConfig {
  const placeholder = 'openapi-preview-'.padEnd(40, '0');
  const config = loadConfig({
    ROLE: 'web',
    PUBLIC_URL: DOCUMENT_SERVER_URL,
    DATABASE_URL: 'postgres://openapi@preview.invalid/none',
    SECRET_KEY: placeholder,
    API_JWT_SECRET: placeholder,
    LOG_LEVEL: 'silent',
  });
  return {
    ...config,
    databaseUrl: 'postgres://openapi@preview.invalid/none',
    secretKey: placeholder,
    embeddedDatabase: false,
  };
}

/**
 * Runs `use` on the whole application (`ROLE=web`) built in Nest's preview mode: controllers and
 * their metadata are all there, but no provider is instantiated, so nothing connects to a
 * database, queue or broker.
 */
export async function withPreviewApp<T>(
  use: (app: INestApplication) => T | Promise<T>,
): Promise<T> {
  const app = await NestFactory.create(AppModule.forRoot(previewConfig()), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return await use(app);
  } finally {
    await app.close();
  }
}

/** The document `openapi.json` holds, generated without any service running. */
export function generateOpenApiDocument(): Promise<OpenAPIObject> {
  return withPreviewApp((app) => openApiDocument(app, DOCUMENT_SERVER_URL));
}
