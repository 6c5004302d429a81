// Fuzz: every REST route of the mounted route table (paths with malformed percent-encoding and
// ids of every size, queries, bodies of any shape and size up to the body limit, any caller).
// Properties per request: no 5xx, no error-level log, no event-loop stall past the bound, nothing
// uncaught; after each route's batch the node still answers /healthz.
import fc from 'fast-check';
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { connect } from '../helpers/db.js';
import { captureMountedTable, crashGuard, errorLogs, fuzzFailure, assertAlive, fuzzOptions, seedWorld, violations, withoutBlocking, type FuzzWorld } from '../helpers/fuzz.js';
import { hostileBody, hostileQuery, KNOWN_FIELDS, pathSegment } from '../helpers/fuzz-values.js';
import { request } from '../helpers/http.js';
import type { Route } from '../../src/transport/http/router.js';

const guard = crashGuard(t);
const table = captureMountedTable();
const app = await startApp(t, { captureLog: 'warn' });
const sql = connect(t, app.databaseUrl);
const MAX_BODY = app.config.http.maxBodyBytes;

const CALLERS = ['none', 'garbage', 'platform_admin', 'hotel_admin', 'manager', 'receptionist', 'department_staff', 'other_staff'] as const;
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'multipart/form-data; boundary=xyz', 'multipart/form-data', ''];

interface Input {
  method: string;
  segments: string[];
  slash: boolean;
  query: string;
  body: string;
  contentType: string;
  caller: (typeof CALLERS)[number];
}

const paramCount = (r: Route) => (r.path.match(/:\w+/g) ?? []).length + (r.path.endsWith('/*') ? 1 : 0);

function pathOf(r: Route, segments: string[], slash: boolean): string {
  let i = 0;
  let p = r.path.replace(/:\w+/g, () => segments[i++]!);
  if (p.endsWith('/*')) p = p.slice(0, -1) + segments.slice(i).join('/');
  return slash && !p.endsWith('/') ? `${p}/` : p;
}

function inputs(r: Route, w: FuzzWorld): fc.Arbitrary<Input> {
  const n = paramCount(r);
  const segs = fc.array(pathSegment(w.ids), { minLength: n, maxLength: r.path.endsWith('/*') ? n + 2 : n });
  return fc.record({
    method: fc.oneof({ arbitrary: fc.constant(r.method), weight: 6 }, { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'), weight: 1 }),
    segments: segs,
    slash: fc.boolean(),
    query: hostileQuery(),
    body: hostileBody(MAX_BODY, fc.constantFrom(...w.ids.map(Number).filter(Number.isFinite), w.hotelId, 'Reception', w.guest.number, true)),
    contentType: fc.constantFrom(...CONTENT_TYPES),
    caller: fc.constantFrom(...CALLERS),
  });
}

/** Inputs that must always be tried on every route: known-dangerous shapes, not left to chance. */
function examples(r: Route, w: FuzzWorld): Input[] {
  const n = paramCount(r);
  const base = { method: r.method, slash: true, query: '', contentType: 'application/json', caller: 'hotel_admin' as const };
  const ok = Array.from({ length: n }, () => w.userIds[2]!.toString());
  const every = (v: unknown) => JSON.stringify(Object.fromEntries(KNOWN_FIELDS.map((k) => [k, v])));
  // The worst case of a backtracking email pattern, 50 KB (an O(n²) matcher stalls well past the bound).
  const evilEmail = `a@${'a.'.repeat(10_000)}@`;
  return [
    { ...base, segments: Array.from({ length: n }, () => '%E0%A4%A'), body: '{}' },
    { ...base, segments: ok, query: '?page=%E0%A4%A&page_size=1e20&since_seq=9223372036854775808', body: every('\u0000') },
    { ...base, segments: ok, body: every('\ud800') },
    { ...base, segments: ok, body: every(1e20) },
    { ...base, segments: ok, body: JSON.stringify({ email: `a@${'.'.repeat(50_000)} ` }) },
    { ...base, segments: ok, body: JSON.stringify({ email: evilEmail, username: evilEmail }) },
    { ...base, segments: ok, caller: 'department_staff', body: JSON.stringify({ email: `a@${'.'.repeat(50_000)} ` }) },
  ];
}

async function exchange(r: Route, w: FuzzWorld, x: Input): Promise<string> {
  const headers: Record<string, string> = {};
  if (x.caller === 'garbage') headers['authorization'] = 'Bearer not.a.token';
  else if (x.caller !== 'none') headers['authorization'] = `Bearer ${w.tokens[x.caller]}`;
  if (x.contentType) headers['content-type'] = x.contentType;
  const withBody = x.method !== 'GET' && x.method !== 'DELETE';
  const path = pathOf(r, x.segments, x.slash) + x.query;
  const logFrom = app.logLines.length;
  const crashFrom = guard.crashes.length;
  let failure: string | undefined;
  const run = () =>
    request(app.base, x.method, path, { headers, ...(withBody ? { raw: x.body } : {}) }).catch((e: Error) => {
      failure = `request failed: ${e.message} ${String((e as { cause?: Error }).cause?.message ?? '')}`;
      return { status: 0, body: null, headers: new Headers() };
    });
  const { result, stallMs, blocked } = await withoutBlocking(run);
  return violations({ status: result.status, stallMs, blocked, failure, errors: errorLogs(app.logLines, logFrom), crashes: guard.crashes.slice(crashFrom) });
}

t.ok(table.routes.length >= 30, `the route table was captured (${table.routes.length} routes)`);

for (const route of table.routes) {
  await t.test(`${route.method} ${route.path}`, async (t) => {
    const w = await seedWorld(app, sql);
    try {
      await fc.assert(
        fc.asyncProperty(inputs(route, w), async (x) => {
          const v = await exchange(route, w, x);
          if (v) throw new Error(`${x.method} ${pathOf(route, x.segments, x.slash)}${x.query}: ${v}`);
        }),
        fuzzOptions(10, examples(route, w).map((e) => [e] as [Input])),
      );
      t.pass('no 5xx, no error log, no stall, nothing uncaught');
    } catch (err) {
      t.fail(fuzzFailure(err));
    }
    await assertAlive(t, app, guard, `${route.method} ${route.path}`);
  });
}
