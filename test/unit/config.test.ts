// The environment contract: defaults, string → typed conversion, and one ConfigError that names
// every bad variable at once without ever echoing a secret's value.
import t, { type Test } from 'tap';
import { ConfigError, loadConfig, parseEnv } from '../../src/config/load.js';
import { EnvSchema, SECRET_KEYS } from '../../src/config/schema.js';

/** The ConfigError thrown by parseEnv (fails the test if none is thrown). */
function configError(t: Test, env: Record<string, string>): ConfigError {
  try {
    parseEnv(env);
  } catch (err) {
    t.type(err, ConfigError);
    return err as ConfigError;
  }
  t.fail('parseEnv accepted an invalid environment');
  return new ConfigError([]);
}

/** Variable names a ConfigError blames, in order. */
const blamed = (err: ConfigError) => err.problems.map((p) => p.split(':')[0]);

t.test('an empty environment gives every default', async (t) => {
  const env = parseEnv({});
  for (const [key, schema] of Object.entries(EnvSchema.properties)) {
    t.same(env[key as keyof typeof env], (schema as unknown as { default: unknown }).default, `${key} defaults`);
  }
  const config = loadConfig({});
  t.equal(config.env, 'development');
  t.equal(config.http.port, 8000);
  t.same(config.http.corsOrigins, ['http://localhost:3000', 'http://127.0.0.1:3000']);
  t.same(config.nats.servers, [], 'no NATS_URL: the in-process bus');
  t.equal(config.db.url, '', 'no DATABASE_URL: the embedded Postgres');
  t.equal(config.media.driver, 'disk');
  t.ok(config.auth.usingDevSecret, 'development falls back to the dev secret');
  t.equal(config.whatsapp, null);
  t.match(config.nodeId, /.+-\d+$/, 'node id defaults to host-pid');
});

t.test('strings are converted to the schema types', async (t) => {
  const config = loadConfig({
    PORT: ' 9000 ',
    TRUST_PROXY: 'true',
    CRON_ENABLED: 'false',
    HTTP_MAX_BODY_BYTES: '2048',
    CORS_ORIGINS: 'http://a.test, http://b.test,,',
    NATS_URL: 'nats://n1:4222,nats://n2:4222',
    S3_BUCKET: 'media',
    LOG_LEVEL: 'debug',
    PUBLIC_URL: 'https://chat.example.com/',
    DATABASE_URL: '   ',
  });
  t.equal(config.http.port, 9000);
  t.equal(config.http.trustProxy, true);
  t.equal(config.cron.enabled, false);
  t.equal(config.http.maxBodyBytes, 2048);
  t.same(config.http.corsOrigins, ['http://a.test', 'http://b.test']);
  t.same(config.nats.servers, ['nats://n1:4222', 'nats://n2:4222']);
  t.equal(config.media.driver, 's3', 'auto picks s3 when a bucket is set');
  t.equal(config.log.level, 'debug');
  t.equal(config.http.publicUrl, 'https://chat.example.com', 'trailing slash dropped');
  t.equal(config.db.url, '', 'a blank value counts as unset');
});

t.test('one ConfigError names every bad variable at once', async (t) => {
  const err = configError(t, { PORT: 'abc', DATABASE_POOL_MAX: '0', LOG_LEVEL: 'loud', TRUST_PROXY: 'maybe', PUBLIC_URL: 'ok' });
  t.equal(err.code, 'invalid_config');
  t.same(blamed(err).sort(), ['DATABASE_POOL_MAX', 'LOG_LEVEL', 'PORT', 'TRUST_PROXY']);
  for (const key of ['PORT', 'DATABASE_POOL_MAX', 'LOG_LEVEL', 'TRUST_PROXY']) t.match(err.message, key, `message names ${key}`);
  t.match(err.message, '"abc"', 'a non-secret value is shown to help fixing it');

  const cross = configError(t, { WS_LOW_PRIORITY_LIMIT_BYTES: '2000000', NATS_PREFIX: 'a.b', MEDIA_DRIVER: 's3', CRON_ARCHIVE_SCHEDULE: '* *' });
  t.same(blamed(cross).sort(), ['CRON_ARCHIVE_SCHEDULE', 'NATS_PREFIX', 'S3_BUCKET', 'WS_LOW_PRIORITY_LIMIT_BYTES']);
});

t.test('production requires the database, the bus and both secrets', async (t) => {
  const err = configError(t, { NODE_ENV: 'production' });
  t.same(blamed(err).sort(), ['DATABASE_URL', 'JWT_SECRET', 'NATS_URL', 'WEBHOOK_SECRET']);

  const ok = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://app:pw@db:5432/app',
    NATS_URL: 'nats://nats:4222',
    JWT_SECRET: 'x'.repeat(32),
    WEBHOOK_SECRET: 'webhook-secret',
  });
  t.equal(ok.env, 'production');
  t.equal(ok.auth.usingDevSecret, false);
  t.equal(ok.webhook.secret, 'webhook-secret');
});

t.test('secret values never appear in the error message', async (t) => {
  const secrets = {
    DATABASE_URL: 'mysql://app:db-Pa55word@db/app',
    JWT_SECRET: 'jwt-Sh0rtSecret',
    S3_SECRET_ACCESS_KEY: 'S3-SecretKeyValue',
    WHATSAPP_TOKEN: 'wa-TokenValue',
    WHATSAPP_API_URL: 'not-a-url',
    METRICS_TOKEN: 'metrics-TokenValue',
  };
  t.ok(Object.keys(secrets).filter((k) => SECRET_KEYS.has(k)).length >= 5, 'the inputs are secrets');
  const err = configError(t, { ...secrets, PORT: 'abc' });
  const again = configError(t, secrets); // without schema errors the cross checks run
  for (const e of [err, again]) {
    for (const [key, value] of Object.entries(secrets)) {
      if (SECRET_KEYS.has(key)) t.notMatch(e.message, value, `${key} is not echoed`);
    }
  }
  for (const key of ['DATABASE_URL', 'JWT_SECRET', 'S3_SECRET_ACCESS_KEY', 'WHATSAPP_PHONE_NUMBER_ID']) {
    t.ok(blamed(again).includes(key), `${key} is named`);
  }

  const nats = configError(t, { NATS_URL: 'http://user:nats-Pa55word@host:4222' });
  t.same(blamed(nats), ['NATS_URL']);
  t.notMatch(nats.message, 'nats-Pa55word', 'NATS_URL credentials are not echoed');
});
