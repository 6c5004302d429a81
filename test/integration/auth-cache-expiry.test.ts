// The node-local copies of users (REST trusts them for USER_CACHE_TTL_MS) are dropped once
// expired, and socket upgrades (which read fresh) leave none: an idle socket's user used to stay
// cached until the cache was full (20,000 users), with the whole row, for nothing.
import t from 'tap';
import { AuthService } from '../../src/auth/service.js';
import { TokenService } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/obs/log.js';
import { createCpuPool } from '../../src/workers/pool.js';
import { testEnv } from '../helpers/app.js';
import { seedHotel } from '../helpers/chat-fixtures.js';
import { freshDb } from '../helpers/db.js';

t.test('copies of users are dropped after the TTL, and a lookup still finds the user', async (t) => {
  const { sql } = await freshDb(t);
  const cfg = loadConfig(testEnv({ USER_CACHE_TTL_MS: '300' })).auth;
  const cpu = createCpuPool({ threads: 1 });
  t.teardown(() => cpu.stop());
  const tokens = new TokenService(cfg);
  const auth = new AuthService({ sql, tokens, cpu, cfg, log: createLogger({ level: 'silent', nodeId: 'auth-cache' }) });
  const hotel = await seedHotel(sql, {
    staff: ['ana', 'ben', 'cy'].map((username) => ({ username, type: 'receptionist' as const, departments: ['Reception'] })),
    guests: [],
  });
  const tokenOf = (u: string) => tokens.signAccess(hotel.staff[u]!.id);

  // Sockets read fresh and keep no copy here (the socket holds its own); REST reads through the cache.
  t.equal((await auth.authenticateFresh(await tokenOf('ana'))).username, 'ana');
  t.equal(auth.cachedUsers, 0, "a socket's fresh read leaves no copy");
  t.equal((await auth.authenticate(`Bearer ${await tokenOf('ben')}`)).username, 'ben');
  t.equal((await auth.authenticate(`Bearer ${await tokenOf('cy')}`)).username, 'cy');
  t.equal(auth.cachedUsers, 2, 'two users loaded for REST, two copies');

  // Past the TTL (300 ms) plus the expiry's slack (1 s), nothing is left without any lookup.
  const deadline = Date.now() + 5000;
  while (auth.cachedUsers > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.equal(auth.cachedUsers, 0, 'expired copies were dropped by themselves');

  // A copy loaded later is kept while fresh and goes in its turn; lookups are unaffected.
  t.equal((await auth.authenticate(`Bearer ${await tokenOf('ben')}`)).username, 'ben', 'a dropped user is read again');
  t.equal(auth.cachedUsers, 1);
  t.equal((await auth.authenticate(`Bearer ${await tokenOf('ana')}`)).username, 'ana');
  t.equal(auth.cachedUsers, 2);
  while (auth.cachedUsers > 0 && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 100));
  t.equal(auth.cachedUsers, 0);
});
