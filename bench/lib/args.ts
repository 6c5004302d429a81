// Command line: `npm run bench -- <scenario> [--preset name] [--option value …]`. Scenario
// defaults are small (a run finishes in about a minute or two); presets reproduce the budgets of
// the issues. Explicit options override the preset.

export const SCENARIOS = ['latency', 'fanout', 'connections', 'burst', 'cluster', 'uploads'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Options {
  scenario: Scenario;
  preset: string | null;
  sockets: number;
  hotels: number;
  departments: number;
  guests: number;
  rate: number;
  duration: number;
  warmup: number;
  messages: number;
  interval: number;
  nodes: number;
  clients: number;
  senders: number;
  conns: number;
  concurrency: number;
  connectConcurrency: number;
  mode: 'sync' | 'queued';
  bus: 'nats' | 'memory';
  baseline: boolean;
  raw: boolean;
  pool: number;
  runtime: 'auto' | 'tsx' | 'dist';
  out: string | null;
  keep: boolean;
  drain: number;
  resend: number;
  uploads: number;
  sizeMb: number;
  providerIds: boolean;
  timeout: number;
  pg: string;
  nats: string;
  localAddrs: number;
  settle: number;
  waitQuiet: number;
  users: number;
  cpuProf: boolean;
  /** rate sweep: several offered rates, ascending, on the same sockets */
  rates: number[];
  /** run every target this many times (interleaved) and keep, per target, the least disturbed run */
  repeat: number;
}

const BASE: Omit<Options, 'scenario'> = {
  preset: null,
  sockets: 1000,
  hotels: 20,
  departments: 5,
  guests: 1,
  rate: 500,
  duration: 15,
  warmup: 2,
  messages: 5000,
  interval: 250,
  nodes: 1,
  clients: 0,
  senders: 0,
  conns: 64,
  concurrency: 256,
  connectConcurrency: 100,
  mode: 'sync',
  bus: 'nats',
  baseline: true,
  raw: true,
  pool: 16,
  runtime: 'auto',
  out: null,
  keep: false,
  drain: 15,
  resend: 0,
  uploads: 20,
  sizeMb: 5,
  providerIds: true,
  timeout: 20,
  pg: process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  nats: process.env['BENCH_NATS_URL'] ?? 'nats://127.0.0.1:4222',
  localAddrs: 0,
  settle: 5,
  waitQuiet: 0,
  users: 0,
  cpuProf: false,
  rates: [],
  repeat: 1,
};

const SCENARIO_DEFAULTS: Record<Scenario, Partial<Options>> = {
  latency: { sockets: 1000, hotels: 20, rate: 500, duration: 15 },
  fanout: { sockets: 1000, hotels: 1, departments: 1, messages: 20, interval: 250, users: 50 },
  connections: { sockets: 5000, hotels: 100 },
  burst: { messages: 5000, hotels: 50, sockets: 250, concurrency: 256 },
  cluster: { nodes: 3, sockets: 1500, hotels: 30, rate: 500, duration: 15, baseline: false, raw: false },
  uploads: { sockets: 500, hotels: 10, rate: 200, duration: 20, baseline: false, raw: false, uploads: 20, sizeMb: 5 },
};

export interface Preset {
  scenario: Scenario;
  issue: string;
  describe: string;
  opts: Partial<Options>;
}

export const PRESETS: Record<string, Preset> = {
  'latency:issue7': {
    scenario: 'latency',
    issue: '#7',
    describe: '10,000 staff sockets over 200 hotels × 5 departments (10 per department), 2,000 guest messages/s for 30 s',
    opts: { sockets: 10_000, hotels: 200, departments: 5, guests: 1, rate: 2000, duration: 30 },
  },
  'latency:issue6': {
    scenario: 'latency',
    issue: '#6',
    describe: '5,000 signed webhooks/s for 20 s over 500 conversations (100 hotels × 5 departments × 1 guest), 1 socket per department',
    opts: { sockets: 500, hotels: 100, departments: 5, guests: 1, rate: 5000, duration: 20 },
  },
  'cluster:issue8': {
    scenario: 'cluster',
    issue: '#8',
    describe: '3 nodes, 15,000 staff sockets over 300 hotels × 5 departments (each department split across nodes), 2,000 messages/s for 30 s, webhooks round-robin over nodes',
    opts: { nodes: 3, sockets: 15_000, hotels: 300, departments: 5, guests: 1, rate: 2000, duration: 30 },
  },
  'burst:issue8': {
    scenario: 'burst',
    issue: '#8',
    describe: '20,000 signed webhooks as fast as possible, queued mode (202 after a durable JetStream publish), 3 nodes, 2 % sent twice with the same provider id',
    opts: { messages: 20_000, nodes: 3, mode: 'queued', hotels: 100, sockets: 1000, resend: 0.02, baseline: false, raw: false },
  },
  'burst:sync': {
    scenario: 'burst',
    issue: '#6/#8',
    describe: '20,000 signed webhooks as fast as possible against one node, synchronous (201 after commit)',
    opts: { messages: 20_000, nodes: 1, mode: 'sync', hotels: 100, sockets: 500, resend: 0.02 },
  },
  'connections:issue7': {
    scenario: 'connections',
    issue: '#7',
    describe: '10,000 idle staff sockets (200 hotels × 5 departments × 10): server RSS per socket',
    opts: { sockets: 10_000, hotels: 200 },
  },
  'fanout:large': {
    scenario: 'fanout',
    issue: '—',
    describe: 'one department with 10,000 sockets (100 staff members, 100 sockets each): time until the last socket has each message',
    opts: { sockets: 10_000, users: 100, messages: 20, interval: 500 },
  },
  'uploads:issue5': {
    scenario: 'uploads',
    issue: '#5',
    describe: '20 concurrent 5 MB uploads while 1,000 sockets receive 200 messages/s',
    opts: { uploads: 20, sizeMb: 5, sockets: 1000, hotels: 20, rate: 200, duration: 20 },
  },
};

const NUM: Array<keyof Options> = [
  'sockets', 'hotels', 'departments', 'guests', 'rate', 'duration', 'warmup', 'messages', 'interval', 'nodes', 'clients',
  'senders', 'conns', 'concurrency', 'connectConcurrency', 'pool', 'drain', 'resend', 'uploads', 'sizeMb', 'timeout', 'localAddrs', 'settle', 'waitQuiet', 'users', 'repeat',
];
const BOOL: Array<keyof Options> = ['baseline', 'raw', 'keep', 'providerIds', 'cpuProf'];
const STR: Array<keyof Options> = ['mode', 'bus', 'runtime', 'out', 'pg', 'nats'];

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export class UsageError extends Error {}

export function parseArgs(argv: string[]): Options {
  const pos: string[] = [];
  const given: Partial<Options> = {};
  let preset: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      pos.push(a);
      continue;
    }
    let [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (k === 'help' || k === 'h') throw new UsageError('');
    if (k === 'rates') {
      const list = (v ?? argv[++i] ?? '').split(',').map(Number);
      if (!list.length || list.some((x) => !Number.isFinite(x) || x <= 0)) throw new UsageError('--rates needs a comma-separated list of positive numbers');
      given.rates = list.sort((a, b) => a - b);
      continue;
    }
    if (k === 'preset') {
      preset = v ?? argv[++i] ?? null;
      continue;
    }
    if (k.startsWith('no-')) {
      const key = camel(k.slice(3)) as keyof Options;
      if (!BOOL.includes(key)) throw new UsageError(`unknown option --${k}`);
      (given as Record<string, unknown>)[key] = false;
      continue;
    }
    const key = camel(k) as keyof Options;
    if (BOOL.includes(key)) {
      (given as Record<string, unknown>)[key] = v === undefined ? true : v !== 'false' && v !== '0';
      continue;
    }
    if (!NUM.includes(key) && !STR.includes(key)) throw new UsageError(`unknown option --${k}`);
    if (v === undefined) v = argv[++i];
    if (v === undefined) throw new UsageError(`--${k} needs a value`);
    if (NUM.includes(key)) {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${k}: not a number: ${v}`);
      (given as Record<string, unknown>)[key] = n;
    } else {
      (given as Record<string, unknown>)[key] = v;
    }
  }
  const scenario = pos[0] as Scenario | undefined;
  if (!scenario || !SCENARIOS.includes(scenario)) throw new UsageError(scenario ? `unknown scenario "${scenario}"` : 'no scenario given');
  let presetOpts: Partial<Options> = {};
  if (preset) {
    const p = PRESETS[`${scenario}:${preset}`];
    if (!p) throw new UsageError(`no preset "${preset}" for ${scenario} (have: ${Object.keys(PRESETS).filter((k) => k.startsWith(scenario + ':')).map((k) => k.split(':')[1]).join(', ') || 'none'})`);
    presetOpts = p.opts;
  }
  const o: Options = { ...BASE, ...SCENARIO_DEFAULTS[scenario], ...presetOpts, ...given, scenario, preset };
  if (o.departments < 1 || o.departments > 5) throw new UsageError('--departments must be 1..5');
  if (!['sync', 'queued'].includes(o.mode)) throw new UsageError('--mode is sync or queued');
  if (!['nats', 'memory'].includes(o.bus)) throw new UsageError('--bus is nats or memory');
  if (!['auto', 'tsx', 'dist'].includes(o.runtime)) throw new UsageError('--runtime is auto, tsx or dist');
  if (o.nodes > 1 && o.bus !== 'nats') throw new UsageError('several nodes need --bus nats');
  if (o.mode === 'queued' && o.bus !== 'nats') throw new UsageError('--mode queued needs --bus nats');
  if (o.rates.length && !['latency', 'cluster'].includes(o.scenario)) throw new UsageError('--rates is for latency and cluster');
  if (o.hotels < 1 || o.sockets < 1) throw new UsageError('--hotels and --sockets must be at least 1');
  return o;
}

export const USAGE = `usage: npm run bench -- <scenario> [--preset name] [options]

scenarios
  latency      N staff sockets over H hotels × D departments; signed guest webhooks at a fixed rate R
               (open loop); webhook-to-socket latency percentiles, delivered/s, missing/duplicates
  fanout       one message at a time to N sockets of one department; time until the last socket has it
  connections  N idle staff sockets; server RSS per socket and time to connect them all
  burst        K signed webhooks as fast as possible; accepted/s, time until all are persisted and delivered
  cluster      latency against several nodes (default 3) sharing Postgres and NATS
  uploads      20 concurrent 5 MB multipart uploads while socket traffic runs; server RSS growth

options (defaults depend on the scenario; see bench/README.md)
  --sockets N --hotels H --departments D(1-5) --guests G(per hotel) --rate R(msg/s) --duration S
  --warmup S --messages K --interval MS --nodes N --clients C --senders S --conns N(per sender/node)
  --concurrency N(burst in flight) --connect-concurrency N --mode sync|queued --bus nats|memory
  --baseline/--no-baseline --raw/--no-raw --pool N(DATABASE_POOL_MAX) --runtime auto|tsx|dist
  --resend F(burst: fraction sent twice) --uploads N --size-mb M --drain S --settle S --timeout MIN
  --out DIR --keep(keep the database) --no-provider-ids --pg URL --nats URL --local-addrs N
  --rates R1,R2,…(latency/cluster: sweep several offered rates on the same sockets; --rate picks the row the budgets use)
  --repeat N(run the targets N times, interleaved; the table keeps each target's run with the least CPU used by other programs)
  --cpu-prof(V8 CPU profile of every server process; summary in the report, .cpuprofile in logs/)
  --users U(fanout: staff members sharing the sockets; 0 = one per socket)
  --wait-quiet S(wait up to S seconds for other programs to stop using the CPU before starting)

presets
${Object.entries(PRESETS)
  .map(([k, p]) => `  ${k.replace(':', ' --preset ').padEnd(30)} ${p.issue.padEnd(6)} ${p.describe}`)
  .join('\n')}
`;
