// Where the test services are. scripts/with-services.mjs sets these when it had to start its own.
export const TEST_PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const TEST_LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
