// Summary of a V8 .cpuprofile written by a server node started with --cpu-prof: self time by
// category (our source folders, each package, node internals, GC) and the hottest functions.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  busyMs: number;
  categories: Array<[string, number]>;
  top: Array<[string, number]>;
}

function category(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const src = /\/(src|bench)\/([^/]+)\//.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  const f = /\/(src|bench)\/([^/]+)$/.exec(url);
  if (f) return `${f[1]}/${f[2]}`;
  return url.split('/').slice(-2).join('/');
}

export function summarizeProfile(file: string): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? prof.timeDeltas[i] ?? 0));
  }
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const fn = n.callFrame.functionName || '(anonymous)';
    if (fn === '(idle)') {
      idle += us;
      continue;
    }
    const c = category(n.callFrame.url, fn);
    cats.set(c, (cats.get(c) ?? 0) + us);
    const where = n.callFrame.url ? `${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '';
    const k = `${fn} ${where}`.trim() + (c.startsWith('(') ? '' : ` [${c}]`);
    fns.set(k, (fns.get(k) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (m: Map<string, number>, n: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, busy ? (100 * v) / busy : 0] as [string, number]);
  return { file, totalMs: total / 1000, busyMs: busy / 1000, categories: pct(cats, 16), top: pct(fns, 25) };
}

/** Main-thread profiles only (CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile); worker threads idle in Atomics.wait. */
export function profilesIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}
