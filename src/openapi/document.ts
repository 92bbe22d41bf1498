import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PACKAGE } from '../version.js';
import { API_TAGS, BEARER_SCHEME } from './api-endpoint.js';
import { componentSchemas } from './schemas.js';

/** Where the platform API lives; the document describes these paths only. */
export const API_PREFIX = '/api/v1/';

/** Server URL of the committed `openapi.json` (the default `PUBLIC_URL`). */
export const DOCUMENT_SERVER_URL = 'http://localhost:3000';

const DESCRIPTION =
  'The platform API of the fediverse bridge: stories in, fediverse replies and engagement out.' +
  '\n\n' +
  'Every call needs `Authorization: Bearer <JWT>` (HS256 with `API_JWT_SECRET`, or RS256/EdDSA ' +
  'from `API_JWKS_URL`) whose space-separated `scope` claim holds the scopes the operation ' +
  'lists (`admin` grants all). No or bad token: 401; a missing scope: 403; both ' +
  '`{error, message}`. See the README, docs/events.md and docs/comments.md.';

/**
 * The OpenAPI 3.1 document of `app`'s `/api/v1` routes, with `serverUrl` as its server. Keys are
 * in a canonical order (see {@link canonical}), so the same routes always give the same text.
 */
export function openApiDocument(app: INestApplication, serverUrl: string): OpenAPIObject {
  let builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Fediverse bridge platform API')
    .setDescription(DESCRIPTION)
    .setVersion(PACKAGE.version)
    .setLicense('AGPL-3.0-only', 'https://www.gnu.org/licenses/agpl-3.0.html')
    .addServer(serverUrl)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A JWT with `exp` and a space-separated `scope` claim.',
      },
      BEARER_SCHEME,
    );
  for (const [name, description] of Object.entries(API_TAGS)) {
    builder = builder.addTag(name, description);
  }
  const config = builder.build();
  delete config.info.contact; // DocumentBuilder's empty default
  const document = SwaggerModule.createDocument(
    app,
    { ...config, components: { ...config.components, schemas: componentSchemas() } },
    {
      operationIdFactory: (controller, method) =>
        `${controller.replace(/Controller$/, '')}_${method}`,
      autoTagControllers: false,
    },
  );
  document.paths = Object.fromEntries(
    Object.entries(document.paths).filter(([path]) => path.startsWith(API_PREFIX)),
  );
  const sorted = canonical(document) as OpenAPIObject;
  // The top level reads best in the specification's order; below it, keys are sorted.
  const { openapi, info, servers, tags, paths, components, ...rest } = sorted;
  return { openapi, info, servers, tags, paths, components, ...rest };
}

/**
 * `value` with every object's keys sorted, except the members of `properties` (they keep the
 * order the schema declares, which is the order readers expect). Arrays keep their order.
 */
export function canonical(value: unknown, keepOrder = false): unknown {
  if (Array.isArray(value)) return value.map((item) => canonical(item));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).map(([key, inner]): [string, unknown] => [
    key,
    canonical(inner, key === 'properties'),
  ]);
  if (!keepOrder) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}
