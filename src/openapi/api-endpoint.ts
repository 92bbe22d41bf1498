import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../auth/api-auth.guard.js';
import type { Scope } from '../auth/scopes.js';
import { type ComponentName, ref } from './schemas.js';

/** Name of the bearer-JWT security scheme in the document. */
export const BEARER_SCHEME = 'bearer';

/** Operation extension listing the scopes a route requires (what {@link RequireScopes} sets). */
export const X_SCOPES = 'x-scopes';

/** Tags of the `/api/v1` document, with their descriptions. */
export const API_TAGS = {
  Actors: 'Authors and publications: profiles, keys, attribution (scope `admin` or `ingest`).',
  Events: 'Article events in (docs/events.md) and what became of them (scope `ingest`).',
  Feeds: 'RSS/Atom subscriptions (docs/feeds.md, scope `ingest`).',
  Articles: 'Stories on the fediverse: deliveries, pins, engagement.',
  Comments: 'Fediverse replies under stories, and answers to them (docs/comments.md).',
  Moderation: 'Held replies, policies, blocks and reports (docs/comments.md#moderation).',
  Webhooks: 'Comment-event webhooks to the platform (scope `admin`).',
} as const;

/** A tag name of {@link API_TAGS}. */
export type ApiTagName = keyof typeof API_TAGS;

/** Files a controller's (or a route's) operations under one of {@link API_TAGS}. */
export function ApiTag(name: ApiTagName): ClassDecorator & MethodDecorator {
  return ApiTags(name);
}

/** An error answer: a description, and the body schema when it is not the plain `Error`. */
export type ErrorDoc = string | { readonly description: string; readonly schema: ComponentName };

/** What {@link ApiEndpoint} documents and enforces. */
export interface ApiEndpointOptions {
  /** One line: what the call does. */
  readonly summary: string;
  /** More detail, in Markdown; the required scopes are appended. */
  readonly description?: string;
  /** Scopes the token must hold, every one (`admin` holds them all). */
  readonly scopes: readonly [Scope, ...Scope[]];
  /** Error answers by status, besides the 401/403/503 every guarded route may give. */
  readonly errors?: Readonly<Record<number, ErrorDoc>>;
}

const AUTH_ERRORS: Readonly<Record<number, string>> = {
  401: 'No bearer token, or one that is invalid or expired (`unauthorized`).',
  503: 'The token could not be checked, e.g. the JWKS is unreachable (`auth_unavailable`).',
};

const quoted = (scopes: readonly Scope[]) => scopes.map((s) => `\`${s}\``).join(' and ');

/**
 * Declares a `/api/v1` route's required scopes once, for both the guard and the document: it
 * applies {@link RequireScopes} (which {@link ApiAuthGuard} enforces, as before) and documents
 * the operation — summary, description ending with the scopes, the bearer security requirement
 * listing them, an `x-scopes` extension, and the error answers: 401, 403 and 503 from the
 * guard, plus `errors`. A status in both gets both descriptions.
 */
export function ApiEndpoint(options: ApiEndpointOptions): MethodDecorator {
  const scopes = [...options.scopes];
  const scopeText = `Requires scope ${quoted(scopes)} (\`admin\` grants every scope).`;
  const errors = new Map<number, { description: string; schema: ComponentName }>();
  const addError = (status: number, doc: ErrorDoc) => {
    const { description, schema } =
      typeof doc === 'string' ? { description: doc, schema: 'Error' as const } : doc;
    const known = errors.get(status);
    errors.set(status, {
      description: known === undefined ? description : `${known.description} ${description}`,
      schema: known === undefined || known.schema === 'Error' ? schema : known.schema,
    });
  };
  for (const [status, doc] of Object.entries(AUTH_ERRORS)) addError(Number(status), doc);
  addError(403, `The token lacks scope ${quoted(scopes)} (\`forbidden\`).`);
  for (const [status, doc] of Object.entries(options.errors ?? {})) addError(Number(status), doc);

  return applyDecorators(
    RequireScopes(...scopes),
    ApiOperation({
      summary: options.summary,
      description:
        options.description === undefined ? scopeText : `${options.description}\n\n${scopeText}`,
    }),
    ApiSecurity(BEARER_SCHEME, scopes),
    ApiExtension(X_SCOPES, scopes),
    ...[...errors]
      .sort(([a], [b]) => a - b)
      .map(([status, { description, schema }]) =>
        ApiResponse({ status, description, schema: ref(schema) }),
      ),
  );
}
