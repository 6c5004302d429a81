// One function per scenario, each run once per target (this server, then the baseline and the
// raw uWS ceiling where the scenario has them).
import { spreadConvs } from './env.js';
import type { Options } from './args.js';
import { burstRun, connectAll, connectionsRun, fanoutRun, prime, rateRun, startClients, sweep, withTarget, type Ctx, type RunResult } from './run.js';
import type { TargetName } from './targets.js';
import { uploadsDuring, type UploadOutcome } from './uploads.js';

function receivers(o: Options, sockets: number, deliveriesPerSec: number): number {
  if (o.clients > 0) return o.clients;
  return Math.max(1, Math.ceil(sockets / 9000), Math.ceil(deliveriesPerSec / 45_000));
}

function senders(o: Options, rate: number): number {
  if (o.senders > 0) return o.senders;
  return Math.max(1, Math.ceil(rate / 8000));
}

export function latency(ctx: Ctx, name: TargetName): Promise<RunResult> {
  const { o, world } = ctx;
  const convs = spreadConvs(world.convs);
  const spd = world.staff.length / (world.hotels.length * world.departments.length);
  const top = Math.max(o.rate, ...o.rates);
  return withTarget(ctx, name, async (s) => {
    await startClients(s, world.staff, convs, { receivers: receivers(o, world.staff.length, top * spd), senders: senders(o, top), perMessage: false });
    await connectAll(s);
    await prime(s, convs, o.rates[0] ?? o.rate, o.warmup);
    if (o.rates.length) await sweep(s, convs, o.rates, o.duration, o.rate);
    else await rateRun(s, convs, { rate: o.rate, durationS: o.duration });
  });
}

export function fanout(ctx: Ctx, name: TargetName): Promise<RunResult> {
  const { o, world } = ctx;
  const convs = world.convs.filter((c) => c.key === 0);
  // o.sockets sockets over the department's staff (round robin: several sockets per member with --users)
  const staff = Array.from({ length: o.sockets }, (_, i) => world.staff[i % world.staff.length]!);
  return withTarget(ctx, name, async (s) => {
    await startClients(s, staff, convs, { receivers: receivers(o, staff.length, staff.length * 4), senders: 1, perMessage: true });
    await connectAll(s);
    await prime(s, convs, 20, 0.25);
    await fanoutRun(s, convs, o.messages, o.interval);
  });
}

export function connections(ctx: Ctx, name: TargetName): Promise<RunResult> {
  const { o, world } = ctx;
  return withTarget(ctx, name, async (s) => {
    await startClients(s, world.staff, world.convs, { receivers: receivers(o, world.staff.length, 0), senders: 0, perMessage: false });
    await connectionsRun(s);
  });
}

export function burst(ctx: Ctx, name: TargetName): Promise<RunResult> {
  const { o, world } = ctx;
  const convs = spreadConvs(world.convs);
  return withTarget(ctx, name, async (s) => {
    const spd = world.staff.length / (world.hotels.length * world.departments.length);
    await startClients(s, world.staff, convs, { receivers: receivers(o, world.staff.length, 10_000 * spd), senders: o.senders || 1, perMessage: false });
    await connectAll(s);
    await prime(s, convs, 2000, 0);
    await burstRun(s, convs, o.messages);
  });
}

export function uploads(ctx: Ctx, name: TargetName): Promise<RunResult> {
  const { o, world } = ctx;
  const convs = spreadConvs(world.convs);
  const spd = world.staff.length / (world.hotels.length * world.departments.length);
  return withTarget(ctx, name, async (s) => {
    await startClients(s, world.staff, convs, { receivers: receivers(o, world.staff.length, o.rate * spd), senders: senders(o, o.rate), perMessage: false });
    await connectAll(s);
    await prime(s, convs, o.rate, o.warmup);
    let outcome: UploadOutcome | null = null;
    await rateRun(s, convs, {
      rate: o.rate,
      durationS: o.duration,
      during: async () => {
        outcome = await uploadsDuring(s, o.uploads, o.sizeMb, Math.min(5000, (o.duration * 1000) / 4));
      },
    });
    const u = outcome as UploadOutcome | null;
    if (u && s.result.recv) {
      // socket latency while the uploads ran: per-second records inside the upload window
      const from = Math.floor(u.windowFrom / 1000);
      const to = Math.ceil(u.windowTo / 1000) + 1;
      const inside = s.result.recv.series.filter((x) => x.sec >= from && x.sec <= to);
      const n = inside.reduce((a, x) => a + x.count, 0);
      s.result.uploads = {
        ...u,
        latencyDuring: {
          seconds: inside.length,
          deliveries: n,
          p50: n ? inside.reduce((a, x) => a + x.p50 * x.count, 0) / n : null,
          p99: inside.length ? Math.max(...inside.map((x) => x.p99)) : null,
          max: inside.length ? Math.max(...inside.map((x) => x.max)) : null,
        },
      };
    }
  });
}

export const RUNNERS = { latency, fanout, connections, burst, cluster: latency, uploads } as const;

/** Which targets a scenario runs against, given the options. */
export function targetsFor(o: Options): { targets: TargetName[]; notes: string[] } {
  const notes: string[] = [];
  const t: TargetName[] = ['server'];
  const comparable = ['latency', 'fanout', 'connections', 'burst'].includes(o.scenario) && o.nodes === 1 && o.mode === 'sync';
  if (o.baseline) {
    if (!comparable) notes.push(`baseline not run: it is a single-node synchronous reference (scenario ${o.scenario}, nodes ${o.nodes}, mode ${o.mode})`);
    else t.push('baseline');
  }
  // A queued burst on one node is still bounded by how fast the library accepts webhooks.
  const rawCeiling = comparable || (o.scenario === 'burst' && o.nodes === 1);
  if (o.raw) {
    if (!rawCeiling) notes.push('raw uWS ceiling not run for this configuration');
    else t.push('uws');
  }
  return { targets: t, notes };
}
