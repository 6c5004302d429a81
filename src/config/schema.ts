// The environment contract: every setting the service reads, with its default and meaning.
// README's configuration table and .env.example are checked against this file by a test.
import { Type, type Static } from 'typebox';

const Str = (def: string, description: string, extra: { secret?: boolean } = {}) =>
  Type.String({ default: def, description, ...extra });
const Int = (def: number, description: string, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description });
const Bool = (def: boolean, description: string) => Type.Boolean({ default: def, description });
const Enum = <T extends string>(values: readonly T[], def: T, description: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), { default: def, description });

export const EnvSchema = Type.Object({
  NODE_ENV: Enum(['development', 'production', 'test'] as const, 'development',
    'production makes DATABASE_URL, NATS_URL, JWT_SECRET and WEBHOOK_SECRET mandatory'),
  NODE_ID: Str('', 'Name of this node in the cluster (presence, cron, logs); defaults to host-pid'),
  HOST: Str('0.0.0.0', 'Address the HTTP/WebSocket server binds to'),
  PORT: Int(8000, 'Port of the HTTP/WebSocket server (0 picks a free port)', 0, 65535),
  LOG_LEVEL: Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info', 'pino log level'),
  PUBLIC_URL: Str('', 'Base URL clients use to reach this service (used in signed media URLs); defaults to http://HOST:PORT'),

  DATABASE_URL: Str('', 'Postgres URL; empty starts an embedded Postgres (not allowed in production)', { secret: true }),
  DATABASE_POOL_MAX: Int(16, 'Postgres connections per node (at least WRITE_CONCURRENCY + a few for reads)', 2, 200),
  DATABASE_STATEMENT_TIMEOUT_MS: Int(15000, 'Server-side timeout of one SQL statement', 100),
  DATABASE_ACQUIRE_TIMEOUT_MS: Int(1000, 'How long a query may wait for a connection (e.g. Postgres is down) before the request gets 503 with Retry-After', 100, 60000),
  EMBEDDED_PG_DIR: Str('.data/postgres', 'Data folder of the embedded Postgres'),
  EMBEDDED_PG_PORT: Int(54329, 'Port of the embedded Postgres', 1, 65535),

  NATS_URL: Str('', 'NATS server(s), comma separated; empty uses the in-process bus (single node only)', { secret: true }),
  NATS_PREFIX: Str('lobbybee', 'Prefix of every NATS subject and JetStream stream of this deployment'),
  NATS_STREAM_REPLICAS: Int(1, 'JetStream replicas of the job and inbound streams', 1, 5),

  JWT_SECRET: Str('', 'HS256 secret for access and refresh tokens (at least 32 characters)', { secret: true }),
  JWT_ISSUER: Str('lobbybee-realtime', 'iss claim of issued tokens'),
  ACCESS_TOKEN_TTL_S: Int(86400, 'Lifetime of access tokens in seconds', 60),
  REFRESH_TOKEN_TTL_S: Int(604800, 'Lifetime of refresh tokens in seconds', 60),
  GUEST_TOKEN_TTL_S: Int(86400, 'Lifetime of guest socket tokens in seconds', 60),
  AUTH_JWKS_URL: Str('', 'Optional JWKS URL: access tokens signed by it are accepted too (single sign-on)'),
  AUTH_JWKS_ISSUER: Str('', 'Required iss of JWKS-signed tokens (empty: not checked)'),
  AUTH_JWKS_AUDIENCE: Str('', 'Required aud of JWKS-signed tokens (empty: not checked)'),
  AUTH_JWKS_USER_CLAIM: Str('email', 'Claim of a JWKS-signed token that names the user: "email" is matched against emails, any other claim against usernames'),
  USER_CACHE_TTL_MS: Int(15000, 'How long a node trusts a loaded user for REST calls if the cluster broadcast of a change to that user is lost; older copies are dropped', 0),
  LOGIN_MAX_FAILURES: Int(5, 'Login attempts per account and client IP before that pair is locked (a client IP across accounts gets five times as many)', 1),
  LOGIN_LOCKOUT_S: Int(60, 'Lock time after too many failed logins (doubles per further attempt, up to LOGIN_LOCKOUT_MAX_S)', 1),
  LOGIN_LOCKOUT_MAX_S: Int(900, 'Longest login lock in seconds', 1),

  PHONE_DEFAULT_REGION: Str('', 'ISO country (e.g. GB, IN) used to read national-format phone numbers; empty accepts international forms only'),
  WEBHOOK_SECRET: Str('', 'Shared secret of the X-Lobbybee-Signature HMAC on provider webhooks', { secret: true }),
  WEBHOOK_TOLERANCE_S: Int(300, 'Seconds a signed webhook timestamp (t= of X-Lobbybee-Signature) may differ from our clock; older requests are refused as replays', 1, 86_400),
  WEBHOOK_LEGACY_SIGNATURE: Bool(false, 'Also accept the old X-Lobbybee-Signature: sha256=<hex> form (no timestamp: replayable; only while a provider migrates)'),
  WEBHOOK_BAD_SIGNATURES_PER_MINUTE: Int(60, 'Bad webhook signatures per minute per client IP before it gets 429 (good signatures are never limited)', 1),
  WEBHOOK_MODE: Enum(['sync', 'queued'] as const, 'sync',
    'sync stores before answering 201; queued answers 202 after a durable JetStream enqueue'),
  GUEST_SOCKET_AUTH: Enum(['token', 'none'] as const, 'token', 'none lets guest sockets connect without a guest token (the seed behaviour)'),

  CORS_ORIGINS: Str('http://localhost:3000,http://127.0.0.1:3000', 'Allowed browser origins, comma separated (* for any)'),
  HTTP_MAX_BODY_BYTES: Int(1_048_576, 'Largest JSON request body', 1024),
  TRUST_PROXY: Bool(false, 'Take the client IP from X-Forwarded-For (only behind a proxy you run)'),
  RATE_LIMIT_PER_MINUTE: Int(1200, 'REST requests per minute per client IP and per token', 1),

  WS_MAX_PAYLOAD_BYTES: Int(65_536, 'Largest inbound socket frame; bigger frames close the socket', 256),
  WS_MAX_BACKPRESSURE_BYTES: Int(1_048_576, 'Buffered outbound bytes after which a slow socket is closed', 4096),
  WS_LOW_PRIORITY_LIMIT_BYTES: Int(65_536, 'Buffered bytes above which typing/presence events are dropped for a socket', 1024),
  WS_IDLE_TIMEOUT_S: Int(120, 'Seconds without traffic before a socket is pinged and then closed', 8, 960),
  WS_FRAMES_PER_SECOND: Int(30, 'Sustained inbound frames per second per socket', 1),
  WS_FRAME_BURST: Int(120, 'Inbound frame burst per socket before the flood limit closes it', 1),
  MAX_SOCKETS_PER_USER: Int(20, 'Open sockets per staff user (or guest) on one node; more are closed with 4029', 1),
  WS_UPGRADES_PER_MINUTE: Int(300, 'Socket upgrades per minute per client IP (burst of a sixth); more get 429 with Retry-After', 1),

  ACTOR_MAILBOX_CAPACITY: Int(2000, 'Messages an actor mailbox holds before senders get an overload error', 1),
  ACTOR_IDLE_MS: Int(120_000, 'Idle time after which an actor is passivated', 1000),
  ACTOR_ASK_TIMEOUT_MS: Int(10_000, 'Longest wait for an actor reply', 100),
  WRITE_BATCH_MAX: Int(256, 'Most messages written by one insert statement (group commit)', 1, 5000),
  WRITE_CONCURRENCY: Int(8, 'Insert statements in flight at once per node (Postgres shares one WAL flush among concurrent commits; fewer means bigger batches)', 1, 64),

  WORKER_THREADS: Int(2, 'Threads of the CPU worker pool (hashing, sniffing, thumbnails)', 1, 64),
  SHUTDOWN_TIMEOUT_MS: Int(10_000, 'Deadline for a graceful stop', 100),
  HEAP_GROWTH_PERCENT: Int(25, 'How far the old generation of the V8 heap may grow past its live size before the next full garbage collection, in percent (0 keeps V8\'s own factor, which lets an idle node hold several times its live heap after a connection storm)', 0, 400),

  CRON_ENABLED: Bool(true, 'Run periodic jobs on this node (each tick runs on one node of the cluster)'),
  CRON_IDLE_CLOSE_SCHEDULE: Str('*/5 * * * *', 'When idle conversations are closed'),
  CRON_ARCHIVE_SCHEDULE: Str('17 3 * * *', 'When old closed conversations are archived'),
  CRON_PRESENCE_SCHEDULE: Str('*/1 * * * *', 'When stale presence is expired'),
  CRON_MEDIA_SCHEDULE: Str('43 * * * *', 'When orphaned and expired media objects are removed'),
  CONVERSATION_IDLE_CLOSE_MIN: Int(1440, 'Minutes without messages after which an active conversation is closed', 1),
  CONVERSATION_ARCHIVE_DAYS: Int(30, 'Days after closing when a conversation is archived', 1),
  PRESENCE_TTL_S: Int(90, 'Seconds without a heartbeat after which a node\'s presence is expired', 10),

  JOB_MAX_DELIVERIES: Int(6, 'Deliveries of a background job before it is dead-lettered', 1, 100),
  JOB_BACKOFF_MS: Int(2000, 'First retry delay of a failed job (doubles per delivery)', 10),
  INBOUND_PARTITIONS: Int(32, 'Ordered partitions of queued webhooks (one guest\'s messages stay in order; each partition is drained by one node at a time, many guests at once; partitions spread over the nodes)', 1, 1024),
  JOB_ACK_WAIT_S: Int(5, 'Seconds without a heartbeat before JetStream hands a job to another node (its node died); running jobs report progress every third of it. A dead node\'s ordered partitions move after three times this (their lease TTL)', 1, 3600),
  JOB_STALL_S: Int(30, 'Seconds a job consumer may hold work without delivering or acknowledging anything before it is recreated (0 disables the check)', 0, 3600),

  WHATSAPP_API_URL: Str('', 'Base URL of the WhatsApp Cloud (Graph) API with its version; empty means https://graph.facebook.com/v22.0'),
  WHATSAPP_TOKEN: Str('', 'Bearer token of the global (legacy) sender, used when a hotel has no WhatsApp channel; empty: no global sender', { secret: true }),
  WHATSAPP_PHONE_NUMBER_ID: Str('', 'Phone number id of the global (legacy) sender (set with WHATSAPP_TOKEN)'),

  MEDIA_DRIVER: Enum(['auto', 'disk', 's3'] as const, 'auto', 'auto uses s3 when S3_BUCKET is set, else local disk'),
  MEDIA_DIR: Str('.data/media', 'Folder of the local-disk media store'),
  MEDIA_MAX_BYTES: Int(10_485_760, 'Largest uploaded file', 1024),
  MEDIA_URL_TTL_S: Int(3600, 'Lifetime of presigned media URLs', 10, 604800),
  MEDIA_SIGNING_SECRET: Str('', 'Secret of local-disk media URLs (defaults to JWT_SECRET)', { secret: true }),
  MEDIA_ORPHAN_HOURS: Int(24, 'Uploads never referenced by a message are removed after this many hours', 1),
  MEDIA_RETENTION_DAYS: Int(90, 'Media of archived conversations is deleted this many days after archiving', 1),
  S3_BUCKET: Str('', 'S3 bucket of media objects'),
  S3_REGION: Str('us-east-1', 'S3 region'),
  S3_ENDPOINT: Str('', 'S3-compatible endpoint URL (empty: AWS)'),
  S3_FORCE_PATH_STYLE: Bool(false, 'Path-style bucket addressing (most S3-compatible stores need it)'),
  S3_ACCESS_KEY_ID: Str('', 'Access key; empty uses the standard AWS credential chain', { secret: true }),
  S3_SECRET_ACCESS_KEY: Str('', 'Secret key; empty uses the standard AWS credential chain', { secret: true }),

  WHATSAPP_SEND_RATE_PER_S: Int(80, 'WhatsApp sends per second per business number on this node (Meta allows 80 by default; with N nodes sending, the cluster may reach N times this)', 1, 1000),
  WHATSAPP_TEMPLATE_SYNC_SCHEDULE: Str('37 * * * *', 'When approved message templates are synced from each channel\'s WhatsApp Business Account'),

  METRICS_TOKEN: Str('', 'If set, /metrics requires Authorization: Bearer <token>', { secret: true }),

  EMBEDDED_PG_RUNTIME_DIR: Str('', 'Where root keeps the embedded Postgres binaries and data when the postgres user cannot enter the checkout (a folder closed to others); empty tries /var/lib/lobbybee-realtime, then the temp folder'),
  OPS_STATS_INTERVAL_MS: Int(2000, 'Period of each node\'s stats heartbeat to the operator console (over the bus)', 250, 60_000),
});

export type Env = Static<typeof EnvSchema>;

/** Names of settings whose values never appear in logs or errors. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(
  Object.entries(EnvSchema.properties)
    .filter(([, s]) => (s as { secret?: boolean }).secret)
    .map(([k]) => k),
);
