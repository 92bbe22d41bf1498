import { isIP } from 'node:net';

/** Which parts of the service a process runs. */
export type Role = 'web' | 'worker' | 'all';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** `auto`: JSON lines, pretty-printed when stdout is a terminal. `json`: always JSON lines. */
export type LogFormat = 'auto' | 'json';

/**
 * The service's configuration, read once from the environment at boot.
 * Nothing else in the code reads `process.env`.
 */
export interface AppConfig {
  readonly port: number;
  /** Base URL that actor and object ids are built from, without a trailing slash. */
  readonly publicUrl: URL;
  /** `undefined` means: run an embedded Postgres in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** `undefined` means: run BullMQ on its Postgres backend in the same database. */
  readonly redisUrl: string | undefined;
  /** Prefix of every queue's keys (Redis) or names (Postgres); separates deployments on one Redis. */
  readonly queuePrefix: string;
  /** Empty means Kafka ingestion is off. */
  readonly kafkaBrokers: readonly string[];
  /** Kafka ingestion: topic of article events, its dead-letter topic, consumer group, client id. */
  readonly kafka: {
    readonly topic: string;
    readonly dlqTopic: string;
    readonly groupId: string;
    readonly clientId: string;
  };
  /**
   * Comment events (`comment.created`, `updated`, `deleted`, `approved`) to the platform: the
   * Kafka topic they go to when `KAFKA_BROKERS` is set, and webhook URLs each event is POSTed to
   * as a JWS signed (HS256) with `webhookSecret`.
   */
  readonly commentEvents: {
    readonly kafkaTopic: string;
    readonly webhookUrls: readonly URL[];
    readonly webhookSecret: string | undefined;
  };
  /** Feed polling: defaults for new subscriptions and how many feeds are fetched at once. */
  readonly feeds: {
    readonly minIntervalS: number;
    readonly maxIntervalS: number;
    readonly backfill: number;
    readonly concurrency: number;
  };
  /** Delivery of our activities: jobs at once per worker process, and requests at once per host. */
  readonly delivery: {
    readonly concurrency: number;
    readonly hostConcurrency: number;
    /** Multiplies every retry delay and breaker wait (tests and staging shorten them). */
    readonly retryScale: number;
  };
  readonly role: Role;
  readonly dataDir: string;
  /** `undefined` only in embedded mode, where it is generated into `dataDir` at boot. */
  readonly secretKey: string | undefined;
  readonly apiJwtSecret: string | undefined;
  readonly apiJwksUrl: URL | undefined;
  /** The platform's tag page, with `{tag}` where the tag goes; `/tags/{tag}` redirects there. */
  readonly platformTagUrl: string | undefined;
  readonly allowPrivateAddresses: boolean;
  /** Followers collections show only `totalItems`, never who follows. */
  readonly hideFollowers: boolean;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Run pending migrations at boot (the chart's migration job turns this off for the pods). */
  readonly runMigrations: boolean;
  /** Port of the embedded Postgres; 0 picks a free one at each start. */
  readonly embeddedPostgresPort: number;
  /** How long SIGTERM may take before the process gives up waiting and exits. */
  readonly shutdownTimeoutMs: number;
  /** `ROLE=worker`: port of `/metrics` and `/health/*` (no other HTTP there); 0 serves none. */
  readonly metricsPort: number;
}

/** Thrown when the environment cannot be turned into an {@link AppConfig}. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const ROLES: readonly Role[] = ['web', 'worker', 'all'];
const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];
const SECRET_MIN_LENGTH = 32;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates the environment into an {@link AppConfig}. Collects every problem before failing, so a
 * bad deployment is fixed in one round; each message names the variable.
 */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const fail = <T>(name: string, why: string, fallback: T): T => {
    problems.push(`${name} ${why}`);
    return fallback;
  };

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      return fail(name, `must be an integer from ${min} to ${max}, got "${raw}"`, fallback);
    }
    return value;
  };

  const fraction = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d*\.?\d+$/.test(raw) || value <= 0 || value > 1) {
      return fail(name, `must be a number above 0 and at most 1, got "${raw}"`, fallback);
    }
    return value;
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    return fail(name, `must be true or false, got "${raw}"`, fallback);
  };

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    return fail(name, `must be one of ${allowed.join(', ')}, got "${raw}"`, fallback);
  };

  const url = (name: string, protocols: readonly string[]): URL | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      problems.push(`${name} must be an absolute URL, got "${raw}"`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      problems.push(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
      return undefined;
    }
    return parsed;
  };

  const secret = (name: string): string | undefined => {
    const raw = read(name);
    if (raw !== undefined && raw.length < SECRET_MIN_LENGTH) {
      problems.push(`${name} must be at least ${SECRET_MIN_LENGTH} characters`);
      return undefined;
    }
    return raw;
  };

  const port = int('PORT', 3000, 1, 65535);

  const publicUrl = url('PUBLIC_URL', ['https:', 'http:']) ?? new URL(`http://localhost:${port}`);
  if (publicUrl.pathname !== '/' || publicUrl.search !== '' || publicUrl.hash !== '') {
    problems.push('PUBLIC_URL must be an origin with no path, query or fragment');
  }

  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:'])?.toString();
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:'])?.toString();
  if (redisUrl !== undefined && !/^\/?\d*$/.test(new URL(redisUrl).pathname)) {
    problems.push('REDIS_URL path must be a database number, as in redis://host:6379/0');
  }

  const kafkaBrokers = (read('KAFKA_BROKERS') ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  for (const broker of kafkaBrokers) {
    if (!isHostPort(broker)) {
      problems.push(`KAFKA_BROKERS must be a comma-separated list of host:port, got "${broker}"`);
    }
  }

  const name = (variable: string, fallback: string): string => {
    const raw = read(variable);
    if (raw === undefined) return fallback;
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(raw)) {
      return fail(
        variable,
        `may only contain letters, digits, ".", "_" and "-", got "${raw}"`,
        fallback,
      );
    }
    return raw;
  };
  const kafka = {
    topic: name('KAFKA_TOPIC', 'articles.events'),
    dlqTopic: name('KAFKA_DLQ_TOPIC', 'articles.events.dlq'),
    groupId: name('KAFKA_GROUP_ID', 'fediverse-bridge'),
    clientId: name('KAFKA_CLIENT_ID', 'fediverse-bridge'),
  };
  if (kafka.topic === kafka.dlqTopic) problems.push('KAFKA_DLQ_TOPIC must differ from KAFKA_TOPIC');
  const webhookUrls: URL[] = [];
  for (const raw of (read('COMMENT_WEBHOOK_URLS') ?? '').split(',')) {
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    const parsed = URL.canParse(trimmed) ? new URL(trimmed) : null;
    if (parsed === null || !['https:', 'http:'].includes(parsed.protocol)) {
      problems.push(`COMMENT_WEBHOOK_URLS must be comma-separated http(s) URLs, got "${trimmed}"`);
    } else {
      webhookUrls.push(parsed);
    }
  }
  const commentEvents = {
    kafkaTopic: name('KAFKA_COMMENTS_TOPIC', 'comments.events'),
    webhookUrls,
    webhookSecret: secret('COMMENT_WEBHOOK_SECRET'),
  };
  if (webhookUrls.length > 0 && commentEvents.webhookSecret === undefined) {
    problems.push('COMMENT_WEBHOOK_SECRET is required when COMMENT_WEBHOOK_URLS is set');
  }
  if ([kafka.topic, kafka.dlqTopic].includes(commentEvents.kafkaTopic)) {
    problems.push('KAFKA_COMMENTS_TOPIC must differ from KAFKA_TOPIC and KAFKA_DLQ_TOPIC');
  }
  const feeds = {
    minIntervalS: int('FEED_MIN_INTERVAL_S', 300, 60, 86_400),
    maxIntervalS: int('FEED_MAX_INTERVAL_S', 21_600, 60, 604_800),
    backfill: int('FEED_BACKFILL', 0, 0, 100),
    concurrency: int('FEED_CONCURRENCY', 8, 1, 128),
  };
  if (feeds.minIntervalS > feeds.maxIntervalS) {
    problems.push('FEED_MIN_INTERVAL_S must not exceed FEED_MAX_INTERVAL_S');
  }

  const delivery = {
    concurrency: int('DELIVERY_CONCURRENCY', 64, 1, 1024),
    hostConcurrency: int('DELIVERY_HOST_CONCURRENCY', 8, 1, 256),
    retryScale: fraction('DELIVERY_RETRY_SCALE', 1),
  };

  const platformTagUrl = read('PLATFORM_TAG_URL');
  if (platformTagUrl !== undefined) {
    let ok = platformTagUrl.includes('{tag}');
    try {
      ok &&= ['https:', 'http:'].includes(new URL(platformTagUrl.replace('{tag}', 'x')).protocol);
    } catch {
      ok = false;
    }
    if (!ok) {
      problems.push(
        `PLATFORM_TAG_URL must be an http(s) URL containing {tag}, got "${platformTagUrl}"`,
      );
    }
  }

  const secretKey = secret('SECRET_KEY');
  if (read('SECRET_KEY') === undefined && read('DATABASE_URL') !== undefined) {
    problems.push(
      'SECRET_KEY is required when DATABASE_URL is set (it is generated only in embedded mode)',
    );
  }

  const role = oneOf('ROLE', ROLES, 'all');
  const metricsPort = int('METRICS_PORT', 9464, 0, 65535);
  if (role === 'web' && metricsPort !== 0 && metricsPort === port) {
    problems.push(
      'METRICS_PORT must differ from PORT: web processes serve /metrics on its own port',
    );
  }
  if (role !== 'all' && read('DATABASE_URL') === undefined) {
    problems.push(
      `ROLE=${role} needs DATABASE_URL: the embedded database serves a single process, ROLE=all`,
    );
  }

  const config: AppConfig = {
    port,
    publicUrl,
    databaseUrl,
    redisUrl,
    queuePrefix: name('QUEUE_PREFIX', 'bridge'),
    kafkaBrokers,
    kafka,
    commentEvents,
    feeds,
    delivery,
    role,
    dataDir: read('DATA_DIR') ?? './.data',
    secretKey,
    apiJwtSecret: secret('API_JWT_SECRET'),
    apiJwksUrl: url('API_JWKS_URL', ['https:', 'http:']),
    platformTagUrl,
    allowPrivateAddresses: bool('ALLOW_PRIVATE_ADDRESSES', false),
    hideFollowers: bool('HIDE_FOLLOWERS', false),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf('LOG_FORMAT', ['auto', 'json'] as const, 'auto'),
    runMigrations: bool('RUN_MIGRATIONS', true),
    embeddedPostgresPort: int('EMBEDDED_POSTGRES_PORT', 0, 0, 65535),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 9000, 1000, 600000),
    metricsPort,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function isHostPort(value: string): boolean {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  if (!match) return false;
  const [, host = '', portText = ''] = match;
  const port = Number(portText);
  if (port < 1 || port > 65535) return false;
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  return isIP(bare) !== 0 || /^[a-z0-9.-]+$/i.test(bare);
}

/** Whether this process serves HTTP. */
export const servesHttp = (config: AppConfig): boolean => config.role !== 'worker';
/** Whether this process runs queue processors and consumers. */
export const runsWorkers = (config: AppConfig): boolean => config.role !== 'web';
