import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import {
  HorizontalPodAutoscaler,
  type IHorizontalPodAutoscaler,
} from 'kubernetes-models/autoscaling/v2';
import { Job, type IJob } from 'kubernetes-models/batch/v1';
import { Ingress, type IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import { type IPodDisruptionBudget, PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  type IConfigMap,
  type IContainer,
  type IEnvVar,
  type IPodSpec,
  type ISecret,
  type IService,
  type IServiceAccount,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import { loadConfig } from '../../src/config/config.js';
import {
  buildRenderer,
  goVersion,
  HelmRenderError,
  type RenderedObject,
  type Renderer,
} from '../support/helm-render/render.js';

// The chart rendered as `helm template` would (test/support/helm-render), each object validated
// against the Kubernetes schemas, and the facts the bridge depends on asserted.

const here = fileURLToPath(new URL('../../../test/helm/', import.meta.url));
const minimal = join(here, 'values-minimal.yaml');
const production = join(here, 'values-production.yaml');
const embedded = join(here, 'values-embedded.yaml');

/** Environment variables that hold secrets: never in a ConfigMap. */
const SECRET_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'SECRET_KEY',
  'API_JWT_SECRET',
  'COMMENT_WEBHOOK_SECRET',
];

/** Stand-in for the operator's Secret of values-production.yaml. */
const EXISTING_SECRET: Readonly<Record<string, string>> = {
  DATABASE_URL: 'postgres://bridge:pw@pg.data.svc:5432/bridge',
  SECRET_KEY: 's'.repeat(40),
  REDIS_URL: 'redis://:pw@redis.data.svc:6379/0',
  API_JWT_SECRET: 'j'.repeat(40),
  COMMENT_WEBHOOK_SECRET: 'w'.repeat(40),
};

// prometheus-operator's ServiceMonitor is a CRD kubernetes-models does not carry: the subset of
// its schema the chart uses, with its Duration pattern.
const duration =
  '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$';
const validateServiceMonitor = new Ajv({ allErrors: true }).compile({
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'monitoring.coreos.com/v1' },
    kind: { const: 'ServiceMonitor' },
    metadata: { type: 'object', required: ['name'] },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['selector', 'endpoints'],
      properties: {
        selector: {
          type: 'object',
          additionalProperties: false,
          properties: {
            matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
            matchExpressions: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['key', 'operator'],
                properties: {
                  key: { type: 'string' },
                  operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
                  values: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
        },
        endpoints: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['port'],
            properties: {
              port: { type: 'string', minLength: 1 },
              path: { type: 'string', pattern: '^/' },
              interval: { type: 'string', pattern: duration },
              scrapeTimeout: { type: 'string', pattern: duration },
            },
          },
        },
      },
    },
  },
});

/** The subset of prometheus-operator's ServiceMonitor the chart renders. */
interface IServiceMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'ServiceMonitor';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    selector: { matchLabels?: Record<string, string> };
    endpoints: { port: string; path?: string; interval?: string; scrapeTimeout?: string }[];
  };
}

/** Each kind the chart may render, and its type. */
interface Kinds {
  ConfigMap: IConfigMap;
  Secret: ISecret;
  Service: IService;
  ServiceAccount: IServiceAccount;
  Deployment: IDeployment;
  Job: IJob;
  Ingress: IIngress;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  PodDisruptionBudget: IPodDisruptionBudget;
  ServiceMonitor: IServiceMonitor;
}

type Validator = (object: unknown) => void;
const VALIDATORS: Readonly<Record<keyof Kinds, Validator>> = {
  ConfigMap: (o) => {
    new ConfigMap(o as IConfigMap).validate();
  },
  Secret: (o) => {
    new Secret(o as ISecret).validate();
  },
  Service: (o) => {
    new Service(o as IService).validate();
  },
  ServiceAccount: (o) => {
    new ServiceAccount(o as IServiceAccount).validate();
  },
  Deployment: (o) => {
    new Deployment(o as IDeployment).validate();
  },
  Job: (o) => {
    new Job(o as IJob).validate();
  },
  Ingress: (o) => {
    new Ingress(o as IIngress).validate();
  },
  HorizontalPodAutoscaler: (o) => {
    new HorizontalPodAutoscaler(o as IHorizontalPodAutoscaler).validate();
  },
  PodDisruptionBudget: (o) => {
    new PodDisruptionBudget(o as IPodDisruptionBudget).validate();
  },
  ServiceMonitor: (o) => {
    if (!validateServiceMonitor(o)) {
      throw new Error(JSON.stringify(validateServiceMonitor.errors));
    }
  },
};

/** The rendered objects, each checked against its Kubernetes schema. */
class Manifests {
  constructor(readonly rendered: readonly RenderedObject[]) {
    const seen = new Set<string>();
    for (const { source, object } of rendered) {
      const kind = String(object.kind);
      const validator = (VALIDATORS as Partial<Record<string, Validator>>)[kind];
      assert.ok(validator, `${source}: no validator for kind ${kind}`);
      assert.doesNotThrow(() => {
        validator(object);
      }, `${source}: ${kind} does not validate`);
      const id = `${kind}/${this.nameOf(object)}`;
      assert.ok(!seen.has(id), `${id} is rendered twice`);
      seen.add(id);
    }
  }

  nameOf(object: Record<string, unknown>): string {
    return (object.metadata as { name: string }).name;
  }

  all<K extends keyof Kinds>(kind: K): Kinds[K][] {
    return this.rendered
      .filter((r) => r.object.kind === kind)
      .map((r) => r.object as unknown as Kinds[K]);
  }

  one<K extends keyof Kinds>(kind: K, name: string): Kinds[K] {
    const found = this.rendered.find(
      (r) => r.object.kind === kind && this.nameOf(r.object) === name,
    );
    assert.ok(found, `no ${kind} named ${name}`);
    return found.object as unknown as Kinds[K];
  }

  kinds(): string[] {
    return this.rendered.map((r) => String(r.object.kind)).sort();
  }
}

const podSpec = (workload: IDeployment | IJob): IPodSpec => {
  const spec = workload.spec?.template.spec;
  assert.ok(spec);
  return spec;
};

const container = (workload: IDeployment | IJob): IContainer => {
  const [first, ...rest] = podSpec(workload).containers;
  assert.ok(first);
  assert.equal(rest.length, 0, 'one container per pod');
  return first;
};

const envOf = (c: IContainer): Map<string, IEnvVar> =>
  new Map((c.env ?? []).map((e) => [e.name, e]));

/**
 * The environment a container starts with: its ConfigMap, its plain values, and its secret
 * references resolved from the rendered Secrets or from `existing` (the operator's own Secret).
 */
function environment(
  manifests: Manifests,
  c: IContainer,
  existing: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const name = from.configMapRef?.name;
    assert.ok(name !== undefined, 'envFrom only names ConfigMaps');
    Object.assign(env, manifests.one('ConfigMap', name).data);
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref === undefined) {
      assert.ok(e.value !== undefined, `${e.name} has a value or a secretKeyRef`);
      env[e.name] = e.value;
      continue;
    }
    const secret = manifests.all('Secret').find((s) => s.metadata?.name === ref.name);
    const encoded = secret?.data?.[ref.key];
    const fromExisting = secret === undefined ? existing[ref.key] : undefined;
    if (encoded !== undefined) {
      env[e.name] = Buffer.from(encoded, 'base64').toString('utf8');
    } else if (fromExisting !== undefined) {
      env[e.name] = fromExisting;
    } else {
      assert.equal(ref.optional, true, `${e.name}: ${ref.name}/${ref.key} is missing`);
    }
  }
  return env;
}

/** What every render must get right, whatever the values. */
function assertWellFormed(manifests: Manifests): void {
  const deployments = manifests.all('Deployment');
  const podLabels = deployments.map((d) => d.spec?.template.metadata?.labels ?? {});
  const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  for (const d of deployments) {
    const labels = d.spec?.template.metadata?.labels ?? {};
    assert.ok(matches(d.spec?.selector.matchLabels ?? {}, labels), 'selector selects its pods');
    const c = container(d);
    const ports = new Set((c.ports ?? []).map((p) => p.name));
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      assert.ok(ports.has(String(probe?.httpGet?.port)), 'probes use a declared port');
    }
    const pod = podSpec(d);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile?.type, 'RuntimeDefault');
  }
  for (const workload of [...deployments, ...manifests.all('Job')]) {
    const c = container(workload);
    const sc = c.securityContext;
    assert.equal(sc?.runAsNonRoot, true);
    assert.ok((sc.runAsUser ?? 0) >= 1000, 'runs as an unprivileged uid');
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities?.drop, ['ALL']);
    assert.equal(sc.seccompProfile?.type, 'RuntimeDefault');
    const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
    assert.ok(tmp, '/tmp is writable');
    assert.ok(podSpec(workload).volumes?.find((v) => v.name === tmp.name)?.emptyDir);
    assert.ok(c.resources?.requests, 'resources are requested');
  }
  for (const service of manifests.all('Service')) {
    const selector = service.spec?.selector ?? {};
    const selected = deployments.filter((_, i) => matches(selector, podLabels[i] ?? {}));
    assert.equal(selected.length, 1, `${String(service.metadata?.name)} selects one Deployment`);
    const [target] = selected;
    assert.ok(target);
    const names = new Set((container(target).ports ?? []).map((p) => p.name));
    for (const port of service.spec?.ports ?? []) {
      assert.ok(names.has(String(port.targetPort)), `targetPort ${String(port.targetPort)}`);
    }
  }
  for (const cm of manifests.all('ConfigMap')) {
    for (const [key, value] of Object.entries(cm.data ?? {})) {
      assert.ok(!SECRET_VARIABLES.includes(key), `${key} is in a ConfigMap`);
      assert.doesNotMatch(value, /^(postgres(ql)?|rediss?):\/\//i, `${key} looks like a secret`);
      assert.doesNotMatch(value, /:\/\/[^/@\s]+:[^/@\s]+@/, `${key} carries a password`);
    }
  }
}

/** Asserts that no value of `secrets` appears in any ConfigMap. */
function assertNotInConfigMaps(manifests: Manifests, secrets: readonly string[]): void {
  const data = manifests
    .all('ConfigMap')
    .flatMap((cm) => Object.values(cm.data ?? {}))
    .join('\n');
  for (const secret of secrets) assert.ok(!data.includes(secret), 'a secret is in a ConfigMap');
}

if (goVersion() === undefined) {
  const why =
    'go is not installed: apt-get install golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev';
  it('Helm chart (helm/fediverse-bridge)', (t) => {
    // CI installs Go and sets REQUIRE_GO: there a missing Go fails instead of skipping.
    if (process.env.REQUIRE_GO === '1') assert.fail(why);
    t.skip(why);
  });
} else {
  describe('Helm chart (helm/fediverse-bridge)', () => {
    let sut: Renderer;
    before(async () => {
      sut = await buildRenderer();
    });

    describe('external mode, the least it needs', () => {
      let manifests: Manifests;
      before(async () => {
        manifests = new Manifests(await sut.render({ valuesFiles: [minimal] }));
      });

      it('renders valid objects, wired to each other', () => {
        assertWellFormed(manifests);
        assert.deepEqual(manifests.kinds(), [
          'ConfigMap',
          'Deployment',
          'Deployment',
          'Job',
          'PodDisruptionBudget',
          'PodDisruptionBudget',
          'Secret',
          'Secret',
          'Service',
          'Service',
        ]);
      });

      it('runs a web and a worker Deployment, each with its ROLE and RUN_MIGRATIONS=false', () => {
        for (const role of ['web', 'worker']) {
          const d = manifests.one('Deployment', `bridge-fediverse-bridge-${role}`);
          const env = envOf(container(d));
          assert.equal(env.get('ROLE')?.value, role);
          assert.equal(env.get('RUN_MIGRATIONS')?.value, 'false');
          assert.equal(env.get('DATA_DIR'), undefined, 'no DATA_DIR outside embedded mode');
          assert.equal(d.spec?.replicas, role === 'web' ? 2 : 1);
        }
      });

      it('probes /health/live and /health/ready: web on its HTTP port, worker on its metrics port', () => {
        const web = container(manifests.one('Deployment', 'bridge-fediverse-bridge-web'));
        assert.equal(web.livenessProbe?.httpGet?.path, '/health/live');
        assert.equal(web.readinessProbe?.httpGet?.path, '/health/ready');
        assert.equal(web.livenessProbe.httpGet.port, 'http');
        assert.equal(web.ports?.find((p) => p.name === 'http')?.containerPort, 3000);

        const worker = container(manifests.one('Deployment', 'bridge-fediverse-bridge-worker'));
        assert.equal(worker.livenessProbe?.httpGet?.path, '/health/live');
        assert.equal(worker.readinessProbe?.httpGet?.path, '/health/ready');
        assert.equal(worker.readinessProbe.httpGet.port, 'metrics');
        assert.equal(worker.ports?.find((p) => p.name === 'metrics')?.containerPort, 9464);
        const cm = manifests.one('ConfigMap', 'bridge-fediverse-bridge');
        assert.equal(cm.data?.METRICS_PORT, '9464');
      });

      it('migrates in a pre-install,pre-upgrade hook Job running dist/src/cli/migrate.js', () => {
        const job = manifests.one('Job', 'bridge-fediverse-bridge-migration');
        const annotations = job.metadata?.annotations ?? {};
        assert.equal(annotations['helm.sh/hook'], 'pre-install,pre-upgrade');
        assert.match(annotations['helm.sh/hook-weight'] ?? '', /^-?\d+$/);
        assert.match(annotations['helm.sh/hook-delete-policy'] ?? '', /before-hook-creation/);
        assert.deepEqual(container(job).command, [
          'node',
          '--enable-source-maps',
          'dist/src/cli/migrate.js',
        ]);
        assert.equal(podSpec(job).restartPolicy, 'Never');

        // Before the first install nothing of the release exists: the Job's Secret is a hook too,
        // created first, and the Job reads no ConfigMap.
        const secret = manifests.one('Secret', 'bridge-fediverse-bridge-migration');
        const hook = secret.metadata?.annotations ?? {};
        assert.equal(hook['helm.sh/hook'], 'pre-install,pre-upgrade');
        assert.ok(Number(hook['helm.sh/hook-weight']) < Number(annotations['helm.sh/hook-weight']));
        assert.equal(container(job).envFrom, undefined);
        const refs = (container(job).env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef ?? []);
        assert.ok(refs.length > 0);
        assert.ok(refs.every((r) => r.name === 'bridge-fediverse-bridge-migration'));
      });

      it('keeps secrets in the Secret and the rest in the ConfigMap', () => {
        const secret = manifests.one('Secret', 'bridge-fediverse-bridge');
        assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ['DATABASE_URL', 'SECRET_KEY']);
        const cm = manifests.one('ConfigMap', 'bridge-fediverse-bridge');
        assert.equal(cm.data?.PUBLIC_URL, 'https://bridge.example.com');
        assert.equal(cm.data.KAFKA_BROKERS, undefined, 'Kafka is off unless brokers are given');
        assertNotInConfigMaps(manifests, [
          'postgres://bridge:db-password-1234@postgres.data.svc:5432/bridge',
          'db-password-1234',
          'minimal-secret-key-0123456789abcdefghijklmnop',
        ]);
      });

      it("gives every container an environment the bridge's own config validation accepts", () => {
        for (const workload of [...manifests.all('Deployment'), ...manifests.all('Job')]) {
          const config = loadConfig(environment(manifests, container(workload)));
          assert.equal(config.publicUrl.origin, 'https://bridge.example.com');
          assert.equal(config.databaseUrl?.startsWith('postgres://'), true);
        }
      });

      it("defaults the image tag to the chart's appVersion, the package's version", async () => {
        const root = fileURLToPath(new URL('../../../', import.meta.url));
        const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
          version: string;
        };
        const chart = await readFile(join(root, 'helm/fediverse-bridge/Chart.yaml'), 'utf8');
        assert.match(chart, new RegExp(`^appVersion: "${version.replaceAll('.', '\\.')}"$`, 'm'));
        const web = manifests.one('Deployment', 'bridge-fediverse-bridge-web');
        assert.equal(container(web).image, `ghcr.io/fediverse-bridge/fediverse-bridge:${version}`);
      });

      it('changes the pods (checksum annotations) when the configuration changes', async () => {
        const changed = new Manifests(
          await sut.render({ valuesFiles: [minimal], values: { config: { logLevel: 'debug' } } }),
        );
        const checksum = (m: Manifests): string | undefined =>
          m.one('Deployment', 'bridge-fediverse-bridge-web').spec?.template.metadata?.annotations?.[
            'checksum/config'
          ];
        assert.ok(checksum(manifests));
        assert.notEqual(checksum(changed), checksum(manifests));
      });
    });

    describe('external mode, production-like (values-production.yaml)', () => {
      let manifests: Manifests;
      before(async () => {
        manifests = new Manifests(
          await sut.render({ valuesFiles: [production], releaseName: 'bridge', upgrade: true }),
        );
      });

      it('renders valid objects, wired to each other', () => {
        assertWellFormed(manifests);
        assert.deepEqual(manifests.kinds(), [
          'ConfigMap',
          'Deployment',
          'Deployment',
          'HorizontalPodAutoscaler',
          'HorizontalPodAutoscaler',
          'Ingress',
          'Job',
          'PodDisruptionBudget',
          'PodDisruptionBudget',
          'Service',
          'Service',
          'ServiceMonitor',
        ]);
      });

      it('reads every secret from existingSecret and creates no Secret', () => {
        assert.deepEqual(manifests.all('Secret'), []);
        for (const workload of [...manifests.all('Deployment'), ...manifests.all('Job')]) {
          const env = envOf(container(workload));
          for (const variable of SECRET_VARIABLES) {
            const ref = env.get(variable)?.valueFrom?.secretKeyRef;
            assert.equal(ref?.name, 'fediverse-bridge-secrets', variable);
            assert.equal(ref.key, variable);
            const required = variable === 'DATABASE_URL' || variable === 'SECRET_KEY';
            assert.equal(ref.optional, required ? undefined : true, `${variable} optional`);
          }
          if (workload.kind === 'Deployment')
            assert.equal(env.get('RUN_MIGRATIONS')?.value, 'false');
          const config = loadConfig(environment(manifests, container(workload), EXISTING_SECRET));
          assert.deepEqual(config.kafkaBrokers.length, 3);
          assert.equal(config.commentEvents.webhookSecret, EXISTING_SECRET.COMMENT_WEBHOOK_SECRET);
        }
        assertNotInConfigMaps(manifests, Object.values(EXISTING_SECRET));
      });

      it('routes the discovery paths and everything else to the web Service, over TLS', () => {
        const ingress = manifests.one('Ingress', 'bridge-fediverse-bridge');
        assert.equal(ingress.spec?.ingressClassName, 'nginx');
        const hosts = ['bridge.example.com', 'news.example.org'];
        assert.deepEqual(ingress.spec.tls, [{ secretName: 'fediverse-bridge-tls', hosts }]);
        assert.deepEqual(
          ingress.spec.rules?.map((r) => r.host),
          hosts,
        );
        for (const rule of ingress.spec.rules ?? []) {
          const paths = rule.http?.paths ?? [];
          assert.deepEqual(
            paths.map((p) => p.path),
            [
              '/.well-known/webfinger',
              '/.well-known/nodeinfo',
              '/.well-known/host-meta',
              '/nodeinfo',
              '/',
            ],
          );
          for (const p of paths) {
            assert.equal(p.backend.service?.name, 'bridge-fediverse-bridge');
            assert.equal(p.backend.service.port?.name, 'http');
          }
        }
        const web = manifests.one('Service', 'bridge-fediverse-bridge');
        assert.equal(web.spec?.selector?.['app.kubernetes.io/component'], 'web');
      });

      it('keeps the discovery paths when the Ingress is narrowed to other paths', async () => {
        const narrowed = new Manifests(
          await sut.render({
            valuesFiles: [production],
            values: { ingress: { paths: [{ path: '/actors', pathType: 'Prefix' }] } },
          }),
        );
        const ingress = narrowed.one('Ingress', 'bridge-fediverse-bridge');
        assert.deepEqual(
          ingress.spec?.rules?.[0]?.http?.paths.map((p) => p.path),
          [
            '/.well-known/webfinger',
            '/.well-known/nodeinfo',
            '/.well-known/host-meta',
            '/nodeinfo',
            '/actors',
          ],
        );
      });

      it('autoscales web (at least 3) and worker; the Deployments leave replicas to the HPAs', () => {
        for (const [role, min, max] of [
          ['web', 3, 12],
          ['worker', 2, 8],
        ] as const) {
          const name = `bridge-fediverse-bridge-${role}`;
          const hpa = manifests.one('HorizontalPodAutoscaler', name);
          assert.equal(hpa.spec.minReplicas, min);
          assert.equal(hpa.spec.maxReplicas, max);
          assert.equal(hpa.spec.scaleTargetRef.kind, 'Deployment');
          assert.equal(hpa.spec.scaleTargetRef.name, name);
          assert.equal(manifests.one('Deployment', name).spec?.replicas, undefined);
        }
        const pdb = manifests.one('PodDisruptionBudget', 'bridge-fediverse-bridge-web');
        assert.equal(pdb.spec?.minAvailable, 2);
      });

      it('scrapes web and worker /metrics on their metrics port, which no Ingress reaches', () => {
        const sm = manifests.one('ServiceMonitor', 'bridge-fediverse-bridge');
        assert.equal(sm.metadata.labels?.release, 'kube-prometheus-stack');
        assert.deepEqual(
          sm.spec.endpoints.map((e) => [e.port, e.path]),
          [['metrics', '/metrics']],
        );
        const web = manifests.one('Service', 'bridge-fediverse-bridge');
        assert.deepEqual(
          web.spec?.ports?.map((p) => [p.name, p.port]),
          [
            ['http', 80],
            ['metrics', 9464],
          ],
        );
        for (const ingress of manifests.all('Ingress')) {
          for (const rule of ingress.spec?.rules ?? []) {
            for (const path of rule.http?.paths ?? []) {
              assert.equal(path.backend.service?.port?.name, 'http');
            }
          }
        }
        const workerMetrics = manifests.one('Service', 'bridge-fediverse-bridge-worker-metrics');
        assert.deepEqual(
          workerMetrics.spec?.ports?.map((p) => [p.name, p.port]),
          [['metrics', 9464]],
        );
      });

      it('uses the image and pull secret given', () => {
        const d = manifests.one('Deployment', 'bridge-fediverse-bridge-web');
        assert.equal(container(d).image, 'registry.example.com/platform/fediverse-bridge:1.4.2');
        assert.deepEqual(podSpec(d).imagePullSecrets, [{ name: 'registry-credentials' }]);
      });
    });

    describe('embedded mode (trying out)', () => {
      let manifests: Manifests;
      before(async () => {
        manifests = new Manifests(await sut.render({ valuesFiles: [embedded] }));
      });

      it('runs one pod, ROLE=all, with DATA_DIR on an emptyDir, and no HPA, PDB or Job', () => {
        assertWellFormed(manifests);
        assert.deepEqual(manifests.kinds(), ['ConfigMap', 'Deployment', 'Service']);
        const [d] = manifests.all('Deployment');
        assert.ok(d);
        assert.equal(d.spec?.replicas, 1);
        assert.equal(d.spec.strategy?.type, 'Recreate');
        const c = container(d);
        const env = envOf(c);
        assert.equal(env.get('ROLE')?.value, 'all');
        assert.equal(env.get('DATABASE_URL'), undefined);
        assert.notEqual(env.get('RUN_MIGRATIONS')?.value, 'false', 'migrates itself at boot');
        const dataDir = env.get('DATA_DIR')?.value;
        const mount = c.volumeMounts?.find((m) => m.mountPath === dataDir);
        assert.ok(mount, 'DATA_DIR is a mounted volume');
        assert.ok(podSpec(d).volumes?.find((v) => v.name === mount.name)?.emptyDir);

        const config = loadConfig(environment(manifests, c));
        assert.equal(config.role, 'all');
        assert.equal(config.databaseUrl, undefined);
        assert.equal(config.publicUrl.origin, 'http://localhost:3000');
      });

      it('stays one pod even when autoscaling is asked for', async () => {
        const m = new Manifests(
          await sut.render({
            valuesFiles: [embedded],
            values: {
              web: { autoscaling: { enabled: true } },
              metrics: { serviceMonitor: { enabled: true } },
            },
          }),
        );
        assert.deepEqual(m.all('HorizontalPodAutoscaler'), []);
        assert.equal(m.all('Deployment').length, 1);
      });

      it('refuses an external database', async () => {
        await assert.rejects(
          sut.render({
            valuesFiles: [embedded],
            values: { secrets: { databaseUrl: 'postgres://db/x' } },
          }),
          (err: unknown) =>
            err instanceof HelmRenderError && /embedded runs its own Postgres/.test(err.message),
        );
      });
    });

    describe('refused values', () => {
      const refused = async (values: Record<string, unknown>, message: RegExp): Promise<void> => {
        await assert.rejects(
          sut.render({ valuesFiles: [minimal], values }),
          (err: unknown) => err instanceof HelmRenderError && message.test(err.message),
        );
      };

      it("stops at the chart's defaults alone: publicUrl, the database and SECRET_KEY are required", async () => {
        await assert.rejects(sut.render(), /publicUrl is required/);
        await assert.rejects(
          sut.render({ values: { publicUrl: 'https://bridge.example.com' } }),
          /secrets\.databaseUrl \(or secrets\.existingSecret\) is required/,
        );
      });

      it('rejects a typo in a key (values.schema.json)', async () => {
        await refused(
          { web: { replicaCont: 3 } },
          /\/web: must NOT have additional properties \(replicaCont\)/,
        );
        await refused({ ingres: { enabled: true } }, /additional properties \(ingres\)/);
        await refused({ secrets: { databaseURL: 'postgres://x/y' } }, /\(databaseURL\)/);
      });

      it('rejects a value of the wrong type or out of range', async () => {
        await refused({ web: { replicaCount: 'three' } }, /\/web\/replicaCount: must be integer/);
        await refused(
          { config: { hideFollowers: 'yes' } },
          /\/config\/hideFollowers: must be boolean/,
        );
        await refused({ mode: 'standalone' }, /\/mode: must be equal to one of the allowed values/);
        await refused({ secrets: { secretKey: 'too-short' } }, /\/secrets\/secretKey/);
        await refused({ publicUrl: 'https://bridge.example.com/path' }, /\/publicUrl: must match/);
      });

      it('rejects webhooks without their signing secret', async () => {
        await refused(
          { config: { commentWebhookUrls: ['https://platform.example/hook'] } },
          /commentWebhookUrls needs secrets\.commentWebhookSecret/,
        );
      });
    });
  });
}
