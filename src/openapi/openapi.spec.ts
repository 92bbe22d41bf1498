import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { type INestApplication, RequestMethod, type Type } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject, OperationObject } from '@nestjs/swagger';
import { ApiAuthGuard, REQUIRED_SCOPES } from '../auth/api-auth.guard.js';
import type { Scope } from '../auth/scopes.js';
import { OPENAPI_FILE, openApiFileText } from '../cli/write-openapi.js';
import { BEARER_SCHEME, X_SCOPES } from './api-endpoint.js';
import { API_PREFIX, DOCUMENT_SERVER_URL, openApiDocument } from './document.js';
import { withPreviewApp } from './generate.js';

/** One `/api/v1` route as Nest registers it, read from the controllers' metadata. */
interface Route {
  readonly controller: string;
  readonly handler: string;
  readonly method: string;
  /** OpenAPI style: `/api/v1/feeds/{id}`. */
  readonly path: string;
  /** What ApiAuthGuard enforces: the class's and the handler's scopes together. */
  readonly scopes: readonly Scope[];
  readonly guarded: boolean;
}

const asList = (value: unknown): string[] =>
  value === undefined ? [''] : Array.isArray(value) ? (value as string[]) : [value as string];

const joinPath = (...parts: string[]) =>
  `/${parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p !== '')
    .map((p) => (p.startsWith(':') ? `{${p.slice(1)}}` : p))
    .join('/')}`;

/** Every route of every controller in the application, from Nest's own metadata. */
function routesOf(app: INestApplication): Route[] {
  const routes: Route[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type;
      const prototype = controller.prototype as Record<string, unknown>;
      const classGuards = (Reflect.getMetadata(GUARDS_METADATA, controller) ?? []) as unknown[];
      const classScopes = (Reflect.getMetadata(REQUIRED_SCOPES, controller) ?? []) as Scope[];
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const guards = (Reflect.getMetadata(GUARDS_METADATA, handler) ?? []) as unknown[];
        const scopes = (Reflect.getMetadata(REQUIRED_SCOPES, handler) ?? []) as Scope[];
        for (const base of asList(Reflect.getMetadata(PATH_METADATA, controller))) {
          for (const sub of asList(Reflect.getMetadata(PATH_METADATA, handler))) {
            routes.push({
              controller: controller.name,
              handler: name,
              method: RequestMethod[method].toLowerCase(),
              path: joinPath(base, sub),
              scopes: [...new Set([...classScopes, ...scopes])],
              guarded: [...classGuards, ...guards].includes(ApiAuthGuard),
            });
          }
        }
      }
    }
  }
  return routes;
}

/** Every `$ref` in `value`. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [inner] : refsIn(inner),
  );
}

describe('openapi.json', () => {
  let document: OpenAPIObject;
  let routes: Route[];

  before(async () => {
    [document, routes] = await withPreviewApp((app) => [
      openApiDocument(app, DOCUMENT_SERVER_URL),
      routesOf(app).filter((r) => r.path.startsWith(API_PREFIX)),
    ]);
  });

  it('is what the code generates', async () => {
    const committed = await readFile(new URL(`../../../${OPENAPI_FILE}`, import.meta.url), 'utf8');
    const generated = await openApiFileText(document);
    if (committed === generated) return;
    const ours = generated.split('\n');
    const line = committed.split('\n').findIndex((text, i) => text !== ours[i]);
    assert.fail(
      `${OPENAPI_FILE} is out of date: run npm run openapi:write ` +
        `(first difference at line ${line + 1}: ${JSON.stringify(ours[line] ?? '')})`,
    );
  });

  it('documents every /api/v1 route, and nothing else', () => {
    assert.ok(routes.length > 20, `only ${routes.length} /api/v1 routes found`);
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const registered = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    assert.deepEqual(
      registered.filter((r) => !documented.includes(r)),
      [],
      'routes missing from the document: decorate them (ApiEndpoint) and run npm run openapi:write',
    );
    assert.deepEqual(documented.filter((d) => !registered.includes(d)).sort(), []);
  });

  it('gives each operation a summary, the guard, its scopes and a success answer', () => {
    for (const route of routes) {
      const where = `${route.method.toUpperCase()} ${route.path} (${route.controller}.${route.handler})`;
      const method = route.method as 'get' | 'put' | 'post' | 'delete' | 'patch';
      const operation = document.paths[route.path]?.[method];
      assert.ok(operation !== undefined, `${where} is not documented`);
      assert.ok((operation.summary ?? '').trim() !== '', `${where} has no summary`);
      assert.ok(route.guarded, `${where} is not guarded by ApiAuthGuard`);
      assert.ok(route.scopes.length > 0, `${where} requires no scope: use ApiEndpoint`);
      // What the guard enforces is what the document says, in both places.
      assert.deepEqual(operation.security, [{ [BEARER_SCHEME]: route.scopes }], where);
      const documented: unknown = Object.entries(operation).find(([key]) => key === X_SCOPES)?.[1];
      assert.deepEqual(documented, route.scopes, where);
      for (const scope of route.scopes) {
        assert.ok(operation.description?.includes(`\`${scope}\``), `${where}: scope not described`);
      }
      const successes = Object.entries(operation.responses).filter(([status]) => /^2/.test(status));
      assert.ok(successes.length > 0, `${where} documents no 2xx answer`);
      for (const [status, response] of Object.entries(operation.responses)) {
        assert.ok(
          response !== undefined && 'description' in response && response.description.trim() !== '',
          `${where}: answer ${status} has no description`,
        );
      }
      for (const status of ['401', '403']) {
        assert.ok(status in operation.responses, `${where} does not document ${status}`);
      }
      assert.ok((operation.tags ?? []).length > 0, `${where} has no tag`);
    }
  });

  it('resolves every $ref and declares its security scheme and tags', () => {
    const schemas = document.components?.schemas ?? {};
    for (const target of new Set(refsIn(document))) {
      const name = target.replace('#/components/schemas/', '');
      assert.ok(target.startsWith('#/components/schemas/') && name in schemas, target);
    }
    assert.equal(document.openapi, '3.1.0');
    assert.ok(document.components?.securitySchemes?.[BEARER_SCHEME] !== undefined);
    const tags = new Set((document.tags ?? []).map((t) => t.name));
    for (const item of Object.values(document.paths)) {
      for (const operation of Object.values(item) as OperationObject[]) {
        for (const tag of operation.tags ?? []) assert.ok(tags.has(tag), `unknown tag ${tag}`);
      }
    }
  });

  it('has no duplicate operation ids', () => {
    const ids = Object.values(document.paths).flatMap((item) =>
      (Object.values(item) as OperationObject[]).map((op) => op.operationId),
    );
    assert.equal(new Set(ids).size, ids.length);
  });
});
