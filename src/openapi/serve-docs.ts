import type { INestApplication } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { openApiDocument } from './document.js';

/** Where Swagger UI is served; the document is at `${DOCS_PATH}/openapi.json`. */
export const DOCS_PATH = '/docs';

/**
 * Serves Swagger UI at `/docs` and the document at `/docs/openapi.json`, with `publicUrl` as the
 * server. The UI's assets come from swagger-ui-dist on disk, so it works offline. Call before
 * `listen`, and keep `/docs` out of the Fedify middleware's way.
 */
export function serveApiDocs(app: INestApplication, publicUrl: URL): void {
  const document = openApiDocument(app, publicUrl.origin);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: `${DOCS_PATH}/openapi.json`,
    raw: ['json'],
    customSiteTitle: document.info.title,
    // No calls to validator.swagger.io: the document is checked by a spec instead.
    swaggerOptions: { validatorUrl: null },
  });
}
