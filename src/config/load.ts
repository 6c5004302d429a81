// Reads the environment once, validates it against EnvSchema and shapes it into sections, so
// each part of the service receives only the section it uses. No other module reads process.env.
import os from 'node:os';
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';
import { EnvSchema, SECRET_KEYS, type Env } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const DEV_SECRET = 'development-only-secret-change-me-0123456789';

function describe(key: string, raw: unknown): string {
  if (raw === undefined) return 'unset';
  return SECRET_KEYS.has(key) ? '(hidden)' : JSON.stringify(raw);
}

/** Validates raw variables; throws one ConfigError naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const v = source[key];
    if (v !== undefined && v.trim() !== '') raw[key] = v.trim();
  }
  const value = Value.Convert(EnvSchema, Value.Default(EnvSchema, { ...raw })) as Env;
  const problems: string[] = [];
  const bad = new Set<string>();
  const before = Settings.Get().maxErrors;
  // Every variable may be bad, and a union reports once per variant as well as once in all.
  Settings.Set({ maxErrors: 1000 });
  let errors;
  try {
    errors = Value.Errors(EnvSchema, value);
  } finally {
    Settings.Set({ maxErrors: before });
  }
  for (const err of errors) {
    const key = err.instancePath.replace(/^\//, '');
    // One problem per variable: a failed union says so once, not once per variant.
    if (bad.has(key) || err.schemaPath.includes('/anyOf/')) continue;
    bad.add(key);
    problems.push(`${key}: ${err.message.toLowerCase()} (got ${describe(key, raw[key])})`);
  }
  // Rules between variables too, except for variables already reported as malformed.
  problems.push(...crossChecks(value, bad).filter((p) => !bad.has(p.slice(0, p.indexOf(':')))));
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return value;
}

function crossChecks(env: Env, bad: ReadonlySet<string>): string[] {
  const out: string[] = [];
  // A rule between two variables says nothing when one of them is already malformed.
  const valid = (...keys: string[]) => keys.every((k) => !bad.has(k));
  const prod = env.NODE_ENV === 'production';
  if (prod && !env.DATABASE_URL) out.push('DATABASE_URL: required when NODE_ENV=production (the embedded Postgres is for development)');
  if (prod && !env.NATS_URL) out.push('NATS_URL: required when NODE_ENV=production (the in-process bus serves one node only)');
  if (prod && !env.JWT_SECRET) out.push('JWT_SECRET: required when NODE_ENV=production');
  if (prod && !env.WEBHOOK_SECRET) out.push('WEBHOOK_SECRET: required when NODE_ENV=production');
  if (env.JWT_SECRET && env.JWT_SECRET.length < 32) out.push('JWT_SECRET: must be at least 32 characters');
  if (env.DATABASE_URL && !/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) out.push('DATABASE_URL: must start with postgres:// or postgresql://');
  (env.NATS_URL ? env.NATS_URL.split(',') : []).forEach((url, i) => {
    // The value may carry credentials: name the entry, never print it.
    if (!/^(nats|tls|wss?):\/\/|^[\w.-]+:\d+$/.test(url.trim())) out.push(`NATS_URL: entry ${i + 1} is not a NATS server address (nats://host:port)`);
  });
  if (env.PHONE_DEFAULT_REGION && !/^[A-Z]{2}$/.test(env.PHONE_DEFAULT_REGION)) out.push('PHONE_DEFAULT_REGION: must be a two-letter country code such as GB');
  if (!/^[A-Za-z0-9_-]+$/.test(env.NATS_PREFIX)) out.push('NATS_PREFIX: only letters, digits, _ and - are allowed');
  if (env.AUTH_JWKS_URL && !/^https?:\/\//.test(env.AUTH_JWKS_URL)) out.push('AUTH_JWKS_URL: must be an http(s) URL');
  if (env.WHATSAPP_API_URL && !/^https?:\/\/[^\s]+$/.test(env.WHATSAPP_API_URL)) out.push('WHATSAPP_API_URL: must be an http(s) URL');
  if (env.WHATSAPP_TOKEN && !env.WHATSAPP_PHONE_NUMBER_ID) out.push('WHATSAPP_PHONE_NUMBER_ID: required with WHATSAPP_TOKEN');
  if (env.WHATSAPP_PHONE_NUMBER_ID && !env.WHATSAPP_TOKEN) out.push('WHATSAPP_TOKEN: required with WHATSAPP_PHONE_NUMBER_ID');
  if (env.MEDIA_DRIVER === 's3' && !env.S3_BUCKET) out.push('S3_BUCKET: required when MEDIA_DRIVER=s3');
  if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
    out.push('S3_SECRET_ACCESS_KEY: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are set together or not at all');
  }
  if (env.WEBHOOK_MODE === 'queued' && !env.NATS_URL && prod) out.push('WEBHOOK_MODE: queued needs NATS_URL');
  if (valid('WRITE_CONCURRENCY', 'DATABASE_POOL_MAX') && env.WRITE_CONCURRENCY >= env.DATABASE_POOL_MAX) {
    out.push('WRITE_CONCURRENCY: must be below DATABASE_POOL_MAX (reads need connections too)');
  }
  if (valid('WS_LOW_PRIORITY_LIMIT_BYTES', 'WS_MAX_BACKPRESSURE_BYTES') && env.WS_LOW_PRIORITY_LIMIT_BYTES >= env.WS_MAX_BACKPRESSURE_BYTES) {
    out.push('WS_LOW_PRIORITY_LIMIT_BYTES: must be below WS_MAX_BACKPRESSURE_BYTES');
  }
  for (const key of ['CRON_IDLE_CLOSE_SCHEDULE', 'CRON_ARCHIVE_SCHEDULE', 'CRON_PRESENCE_SCHEDULE', 'CRON_MEDIA_SCHEDULE', 'WHATSAPP_TEMPLATE_SYNC_SCHEDULE'] as const) {
    const fields = env[key].trim().split(/\s+/);
    if (fields.length < 5 || fields.length > 6) out.push(`${key}: "${env[key]}" is not a cron expression`);
  }
  return out;
}

function list(csv: string): string[] {
  return csv.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Meta's Graph API, unless WHATSAPP_API_URL points elsewhere (a proxy, a test double). */
export const DEFAULT_GRAPH_API_URL = 'https://graph.facebook.com/v22.0';
const graphApiUrl = (env: Env) => (env.WHATSAPP_API_URL || DEFAULT_GRAPH_API_URL).replace(/\/$/, '');

export function buildConfig(env: Env) {
  const nodeId = env.NODE_ID || `${os.hostname()}-${process.pid}`;
  const jwtSecret = env.JWT_SECRET || DEV_SECRET;
  const s3 = env.MEDIA_DRIVER === 's3' || (env.MEDIA_DRIVER === 'auto' && env.S3_BUCKET !== '');
  return {
    env: env.NODE_ENV,
    nodeId,
    log: { level: env.LOG_LEVEL },
    http: {
      host: env.HOST,
      port: env.PORT,
      publicUrl: env.PUBLIC_URL.replace(/\/$/, ''),
      maxBodyBytes: env.HTTP_MAX_BODY_BYTES,
      corsOrigins: list(env.CORS_ORIGINS),
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
      trustProxy: env.TRUST_PROXY,
      metricsToken: env.METRICS_TOKEN,
    },
    ws: {
      maxPayloadBytes: env.WS_MAX_PAYLOAD_BYTES,
      maxBackpressureBytes: env.WS_MAX_BACKPRESSURE_BYTES,
      lowPriorityLimitBytes: env.WS_LOW_PRIORITY_LIMIT_BYTES,
      idleTimeoutS: env.WS_IDLE_TIMEOUT_S,
      framesPerSecond: env.WS_FRAMES_PER_SECOND,
      frameBurst: env.WS_FRAME_BURST,
      maxSocketsPerUser: env.MAX_SOCKETS_PER_USER,
      upgradesPerMinute: env.WS_UPGRADES_PER_MINUTE,
      guestAuth: env.GUEST_SOCKET_AUTH,
    },
    db: {
      url: env.DATABASE_URL,
      poolMax: env.DATABASE_POOL_MAX,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      acquireTimeoutMs: env.DATABASE_ACQUIRE_TIMEOUT_MS,
      embedded: { dir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT, runtimeDir: env.EMBEDDED_PG_RUNTIME_DIR },
    },
    nats: { servers: list(env.NATS_URL), prefix: env.NATS_PREFIX, replicas: env.NATS_STREAM_REPLICAS },
    auth: {
      jwtSecret,
      usingDevSecret: env.JWT_SECRET === '',
      issuer: env.JWT_ISSUER,
      accessTtlS: env.ACCESS_TOKEN_TTL_S,
      refreshTtlS: env.REFRESH_TOKEN_TTL_S,
      guestTtlS: env.GUEST_TOKEN_TTL_S,
      jwks: env.AUTH_JWKS_URL
        ? { url: env.AUTH_JWKS_URL, issuer: env.AUTH_JWKS_ISSUER, audience: env.AUTH_JWKS_AUDIENCE, userClaim: env.AUTH_JWKS_USER_CLAIM }
        : null,
      userCacheTtlMs: env.USER_CACHE_TTL_MS,
      loginMaxFailures: env.LOGIN_MAX_FAILURES,
      loginLockoutS: env.LOGIN_LOCKOUT_S,
      loginLockoutMaxS: env.LOGIN_LOCKOUT_MAX_S,
    },
    phoneRegion: env.PHONE_DEFAULT_REGION || undefined,
    webhook: {
      secret: env.WEBHOOK_SECRET || DEV_SECRET,
      mode: env.WEBHOOK_MODE,
      toleranceS: env.WEBHOOK_TOLERANCE_S,
      legacySignature: env.WEBHOOK_LEGACY_SIGNATURE,
      badSignaturesPerMinute: env.WEBHOOK_BAD_SIGNATURES_PER_MINUTE,
    },
    actors: {
      mailboxCapacity: env.ACTOR_MAILBOX_CAPACITY,
      idleMs: env.ACTOR_IDLE_MS,
      askTimeoutMs: env.ACTOR_ASK_TIMEOUT_MS,
      writeBatchMax: env.WRITE_BATCH_MAX,
      writeConcurrency: env.WRITE_CONCURRENCY,
    },
    workers: { threads: env.WORKER_THREADS },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    heapGrowthPercent: env.HEAP_GROWTH_PERCENT,
    cron: {
      enabled: env.CRON_ENABLED,
      idleCloseSchedule: env.CRON_IDLE_CLOSE_SCHEDULE,
      archiveSchedule: env.CRON_ARCHIVE_SCHEDULE,
      presenceSchedule: env.CRON_PRESENCE_SCHEDULE,
      mediaSchedule: env.CRON_MEDIA_SCHEDULE,
      idleCloseMinutes: env.CONVERSATION_IDLE_CLOSE_MIN,
      archiveDays: env.CONVERSATION_ARCHIVE_DAYS,
    },
    presence: { ttlS: env.PRESENCE_TTL_S },
    ops: { statsIntervalMs: env.OPS_STATS_INTERVAL_MS },
    jobs: { maxDeliveries: env.JOB_MAX_DELIVERIES, backoffMs: env.JOB_BACKOFF_MS, ackWaitS: env.JOB_ACK_WAIT_S, stallS: env.JOB_STALL_S, inboundPartitions: env.INBOUND_PARTITIONS },
    // The global (legacy) sender: used for conversations of hotels without a WhatsApp channel.
    whatsapp: env.WHATSAPP_TOKEN && env.WHATSAPP_PHONE_NUMBER_ID
      ? { apiUrl: graphApiUrl(env), token: env.WHATSAPP_TOKEN, phoneNumberId: env.WHATSAPP_PHONE_NUMBER_ID }
      : null,
    whatsappCloud: {
      apiUrl: graphApiUrl(env),
      sendRatePerS: env.WHATSAPP_SEND_RATE_PER_S,
      templateSyncSchedule: env.WHATSAPP_TEMPLATE_SYNC_SCHEDULE,
    },
    media: {
      driver: s3 ? ('s3' as const) : ('disk' as const),
      dir: env.MEDIA_DIR,
      maxBytes: env.MEDIA_MAX_BYTES,
      urlTtlS: env.MEDIA_URL_TTL_S,
      signingSecret: env.MEDIA_SIGNING_SECRET || jwtSecret,
      orphanHours: env.MEDIA_ORPHAN_HOURS,
      retentionDays: env.MEDIA_RETENTION_DAYS,
      s3: {
        bucket: env.S3_BUCKET,
        region: env.S3_REGION,
        endpoint: env.S3_ENDPOINT,
        forcePathStyle: env.S3_FORCE_PATH_STYLE,
        accessKeyId: env.S3_ACCESS_KEY_ID,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      },
    },
  };
}

export type Config = ReturnType<typeof buildConfig>;

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  return buildConfig(parseEnv(source));
}
