import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
};

describe('loadConfig', () => {
  it('starts with zero configuration: embedded Postgres, queues on Postgres, Kafka off', () => {
    const sut = loadConfig({});
    assert.equal(sut.port, 3000);
    assert.equal(sut.publicUrl.origin, 'http://localhost:3000');
    assert.equal(sut.databaseUrl, undefined);
    assert.equal(sut.redisUrl, undefined);
    assert.deepEqual(sut.kafkaBrokers, []);
    assert.equal(sut.role, 'all');
    assert.equal(sut.dataDir, './.data');
    assert.equal(sut.allowPrivateAddresses, false);
    assert.equal(sut.logLevel, 'info');
    assert.equal(sut.runMigrations, true);
  });

  it('reads every documented variable', () => {
    const sut = loadConfig({
      PORT: '8080',
      PUBLIC_URL: 'https://bridge.example',
      DATABASE_URL: 'postgres://u:p@db:5432/bridge',
      REDIS_URL: 'redis://:pw@cache:6380/2',
      KAFKA_BROKERS: 'k1:9092, k2:9093',
      ROLE: 'worker',
      DATA_DIR: '/var/lib/bridge',
      SECRET_KEY: 'x'.repeat(32),
      API_JWT_SECRET: 'y'.repeat(40),
      API_JWKS_URL: 'https://platform.example/.well-known/jwks.json',
      ALLOW_PRIVATE_ADDRESSES: 'true',
      LOG_LEVEL: 'debug',
      RUN_MIGRATIONS: 'false',
    });
    assert.equal(sut.port, 8080);
    assert.equal(sut.publicUrl.href, 'https://bridge.example/');
    assert.equal(sut.databaseUrl, 'postgres://u:p@db:5432/bridge');
    assert.equal(sut.redisUrl, 'redis://:pw@cache:6380/2');
    assert.deepEqual(sut.kafkaBrokers, ['k1:9092', 'k2:9093']);
    assert.equal(sut.role, 'worker');
    assert.equal(sut.dataDir, '/var/lib/bridge');
    assert.equal(sut.apiJwksUrl?.host, 'platform.example');
    assert.equal(sut.allowPrivateAddresses, true);
    assert.equal(sut.logLevel, 'debug');
    assert.equal(sut.runMigrations, false);
  });

  it('reads the delivery settings and refuses out-of-range ones', () => {
    const defaults = loadConfig({}).delivery;
    assert.deepEqual(defaults, { concurrency: 64, hostConcurrency: 8, retryScale: 1 });
    const set = loadConfig({
      DELIVERY_CONCURRENCY: '16',
      DELIVERY_HOST_CONCURRENCY: '2',
      DELIVERY_RETRY_SCALE: '0.01',
    }).delivery;
    assert.deepEqual(set, { concurrency: 16, hostConcurrency: 2, retryScale: 0.01 });
    const problems = problemsOf({
      DELIVERY_CONCURRENCY: '0',
      DELIVERY_HOST_CONCURRENCY: 'many',
      DELIVERY_RETRY_SCALE: '2',
    });
    assert.deepEqual(problems.map((p) => p.split(' ')[0]).sort(), [
      'DELIVERY_CONCURRENCY',
      'DELIVERY_HOST_CONCURRENCY',
      'DELIVERY_RETRY_SCALE',
    ]);
    assert.match(problemsOf({ DELIVERY_RETRY_SCALE: '0' })[0] ?? '', /above 0/);
  });

  it('takes a platform tag page template with {tag} in it', () => {
    assert.equal(loadConfig({}).platformTagUrl, undefined);
    assert.equal(
      loadConfig({ PLATFORM_TAG_URL: 'https://medium.example/tag/{tag}' }).platformTagUrl,
      'https://medium.example/tag/{tag}',
    );
    assert.match(
      problemsOf({ PLATFORM_TAG_URL: 'https://medium.example/tags' })[0] ?? '',
      /^PLATFORM_TAG_URL must be an http\(s\) URL containing \{tag\}/,
    );
    assert.equal(problemsOf({ PLATFORM_TAG_URL: 'ftp://x/{tag}' }).length, 1);
  });

  it('names PUBLIC_URL when it is not a URL', () => {
    const problems = problemsOf({ PUBLIC_URL: 'bridge.example' });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^PUBLIC_URL must be an absolute URL/);
  });

  it('rejects a PUBLIC_URL with a path, since ids are built from its origin', () => {
    assert.match(problemsOf({ PUBLIC_URL: 'https://x.example/blog' })[0] ?? '', /^PUBLIC_URL/);
  });

  it('requires SECRET_KEY when DATABASE_URL is set, and only then', () => {
    assert.match(
      problemsOf({ DATABASE_URL: 'postgres://db/bridge' })[0] ?? '',
      /^SECRET_KEY is required/,
    );
    assert.equal(loadConfig({}).secretKey, undefined);
  });

  it('collects every problem, each naming its variable', () => {
    const problems = problemsOf({
      PORT: '99999',
      ROLE: 'both',
      LOG_LEVEL: 'loud',
      ALLOW_PRIVATE_ADDRESSES: 'maybe',
      KAFKA_BROKERS: 'no-port',
      REDIS_URL: 'http://cache',
      SECRET_KEY: 'short',
    });
    const names = problems.map((p) => p.split(' ')[0]);
    assert.deepEqual(names.sort(), [
      'ALLOW_PRIVATE_ADDRESSES',
      'KAFKA_BROKERS',
      'LOG_LEVEL',
      'PORT',
      'REDIS_URL',
      'ROLE',
      'SECRET_KEY',
    ]);
  });

  it('refuses split roles on the embedded database, which serves one process', () => {
    assert.match(problemsOf({ ROLE: 'web' })[0] ?? '', /^ROLE=web needs DATABASE_URL/);
    assert.equal(
      loadConfig({ ROLE: 'worker', DATABASE_URL: 'postgres://db/b', SECRET_KEY: 'k'.repeat(32) })
        .role,
      'worker',
    );
  });

  it('wants a database number as the REDIS_URL path', () => {
    assert.match(problemsOf({ REDIS_URL: 'redis://cache/queues' })[0] ?? '', /^REDIS_URL path/);
    assert.equal(
      loadConfig({ REDIS_URL: 'redis://cache:6379/3' }).redisUrl,
      'redis://cache:6379/3',
    );
  });

  it('accepts bracketed IPv6 Kafka brokers', () => {
    assert.deepEqual(loadConfig({ KAFKA_BROKERS: '[::1]:9092' }).kafkaBrokers, ['[::1]:9092']);
  });

  it('keeps a web process’s metrics port apart from its public port', () => {
    const web = { ROLE: 'web', DATABASE_URL: 'postgres://db/x', SECRET_KEY: 'k'.repeat(40) };
    assert.match(problemsOf({ ...web, PORT: '9464' }).join(), /METRICS_PORT must differ from PORT/);
    assert.equal(loadConfig({ ...web, PORT: '8080' }).metricsPort, 9464);
    assert.equal(loadConfig({ ...web, PORT: '9464', METRICS_PORT: '0' }).metricsPort, 0);
  });
});
