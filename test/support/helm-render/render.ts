import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * Renders the Helm chart without helm: a small Go program (main.go beside this file) runs the
 * templates with Go's text/template and sprig, as Helm does, and the merged values are checked
 * against the chart's values.schema.json here, with ajv, as Helm checks them before rendering.
 *
 * The Go program is built against Debian's packaged sources (golang-go,
 * golang-github-masterminds-sprig-dev, golang-gopkg-yaml.v3-dev) in GOPATH mode, offline, once
 * per source and Go version: the binary is cached in the OS temp directory under a hash of both.
 */

const root = fileURLToPath(new URL('../../../../', import.meta.url));
/** The chart the tests render. */
export const chartDir = join(root, 'helm/fediverse-bridge');
const source = join(root, 'test/support/helm-render/main.go');
/** Where Debian's golang-*-dev packages put their sources. */
const debianGopath = '/usr/share/gocode';

/** Output of `go version`, or undefined when Go is not installed. */
export function goVersion(): string | undefined {
  const result = spawnSync('go', ['version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** A render that Helm would refuse: a template error, a YAML error or a schema violation. */
export class HelmRenderError extends Error {}

/** One rendered object with the template it came from (the `# Source:` line). */
export interface RenderedObject {
  readonly source: string;
  readonly object: Record<string, unknown>;
}

export interface RenderOptions {
  /** Values files layered over values.yaml, in order (as `helm template -f a -f b`). */
  readonly valuesFiles?: readonly string[];
  /** Values layered over the files (as a last `-f`). */
  readonly values?: Record<string, unknown>;
  readonly releaseName?: string;
  readonly namespace?: string;
  readonly upgrade?: boolean;
}

export interface Renderer {
  /** Renders the chart; rejects with {@link HelmRenderError} where helm would fail. */
  render(options?: RenderOptions): Promise<RenderedObject[]>;
}

/** Builds (or finds in the cache) the Go renderer. Needs `go` on PATH. */
export async function buildRenderer(): Promise<Renderer> {
  const version = goVersion();
  if (version === undefined) throw new Error('go is not installed');
  const code = await readFile(source);
  const hash = createHash('sha256').update(version).update(code).digest('hex').slice(0, 16);
  const cacheDir = join(tmpdir(), 'fediverse-bridge-helm-render');
  const binary = join(cacheDir, `helm-render-${hash}`);
  if (!existsSync(binary)) {
    await mkdir(cacheDir, { recursive: true });
    const partial = `${binary}.${String(process.pid)}.tmp`;
    const build = spawnSync('go', ['build', '-o', partial, source], {
      encoding: 'utf8',
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH: debianGopath,
        GOFLAGS: '',
        GOCACHE: process.env.GOCACHE ?? join(cacheDir, 'gocache'),
      },
    });
    if (build.status !== 0) {
      throw new Error(`go build of the Helm renderer failed:\n${build.stderr}`);
    }
    await rename(partial, binary);
  }
  const schema = JSON.parse(await readFile(join(chartDir, 'values.schema.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);

  return {
    async render(options: RenderOptions = {}): Promise<RenderedObject[]> {
      const work = await mkdtemp(join(tmpdir(), 'helm-render-values-'));
      try {
        const args = ['-chart', chartDir];
        for (const file of options.valuesFiles ?? []) args.push('-f', file);
        if (options.values !== undefined) {
          const file = join(work, 'values.yaml');
          await writeFile(file, stringify(options.values));
          args.push('-f', file);
        }
        args.push('-name', options.releaseName ?? 'bridge');
        args.push('-namespace', options.namespace ?? 'fediverse');
        if (options.upgrade === true) args.push('-upgrade');

        const values = JSON.parse(run(binary, [...args, '-values-only'])) as unknown;
        if (!validate(values)) {
          throw new HelmRenderError(
            `values don't meet the specifications of the schema(s):\n${formatErrors(validate.errors ?? [])}`,
          );
        }
        return parseStream(run(binary, args));
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  };
}

function run(binary: string, args: readonly string[]): string {
  const result = spawnSync(binary, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new HelmRenderError(result.stderr.trim());
  return result.stdout;
}

function formatErrors(errors: readonly ErrorObject[]): string {
  return errors
    .map((e) => {
      const extra =
        e.keyword === 'additionalProperties'
          ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
          : '';
      return `- ${e.instancePath === '' ? '(root)' : e.instancePath}: ${e.message ?? e.keyword}${extra}`;
    })
    .join('\n');
}

/** Parses `helm template` output: documents, each after a `# Source:` comment. */
function parseStream(stream: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const doc of parseAllDocuments(stream, { uniqueKeys: true })) {
    if (doc.errors.length > 0) {
      throw new HelmRenderError(`rendered YAML does not parse: ${doc.errors.join('; ')}`);
    }
    const object = doc.toJS() as unknown;
    if (object === null) continue;
    // The `# Source:` line opens the document: yaml attaches it to the document or its contents.
    const comments = `${doc.commentBefore ?? ''}\n${doc.contents?.commentBefore ?? ''}`;
    const source = /^ ?Source: (\S+)/m.exec(comments)?.[1];
    if (source === undefined || typeof object !== 'object' || Array.isArray(object)) {
      throw new HelmRenderError(`a rendered document has no Source line or is not an object`);
    }
    out.push({ source, object: object as Record<string, unknown> });
  }
  return out;
}
