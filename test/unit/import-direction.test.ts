// Folder layers of src/ point one way: reads every static `from '...'` and dynamic `import('...')`
// of src/**/*.ts, builds the graph of folders (A → B when a file in src/A imports a file in src/B)
// and fails on any cycle or on a broken layer rule, naming the file and the import that does it.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

interface Import { file: string; specifier: string; from: string; to: string }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The folder of src/ a file belongs to; files directly in src/ (main.ts) count as the app. */
function folderOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  return parts.length > 1 ? parts[0]! : 'app';
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** Imports between different folders of src/ (packages and node: builtins are not layers). */
function folderImports(): Import[] {
  const imports: Import[] = [];
  for (const file of sourceFiles(SRC)) {
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const specifier = match[1]!;
      if (!specifier.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), specifier);
      if (!target.startsWith(SRC + path.sep)) continue;
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) imports.push({ file: path.relative(SRC, file), specifier, from, to });
    }
  }
  return imports;
}

function describe(found: Import[]): string {
  return found.map((i) => `src/${i.file} imports '${i.specifier}' (${i.from} → ${i.to})`).join('\n');
}

/** One cycle of the folder graph, as a list of folders that ends where it starts, or null. */
function findCycle(edges: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of [...edges.keys()].sort()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

const imports = folderImports();

t.test('the reader sees the imports it must judge', async (t) => {
  t.ok(imports.some((i) => i.from === 'app' && i.file === 'main.ts'), 'main.ts imports the composition root');
  t.ok(imports.some((i) => i.from === 'transport'), 'transport imports other folders');
});

t.test('no cycle between folders', async (t) => {
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    if (!edges.has(i.from)) edges.set(i.from, new Set());
    edges.get(i.from)!.add(i.to);
  }
  const cycle = findCycle(edges);
  // The edge with the fewest imports is most likely the one that should not be there: it comes first.
  const links = (cycle ?? []).slice(1)
    .map((to, k) => imports.filter((i) => i.from === cycle![k] && i.to === to))
    .sort((a, b) => a.length - b.length)
    .map((found) => `${describe(found.slice(0, 5))}${found.length > 5 ? `\n  … and ${found.length - 5} more` : ''}`);
  t.same(cycle, null, cycle ? `folder cycle ${cycle.join(' → ')}:\n${links.join('\n')}` : 'no cycle');
});

const rules: Array<{ folder: string; allowed?: string[]; forbidden?: string[]; why: string }> = [
  { folder: 'core', allowed: [], why: 'core is the bottom layer: errors and domain types, no imports' },
  { folder: 'util', allowed: [], why: 'util holds small generic helpers' },
  { folder: 'protocol', allowed: ['core'], why: 'protocol is the wire contract only' },
  { folder: 'actors', allowed: ['core'], why: 'the actor runtime knows no domain' },
  { folder: 'store', forbidden: ['chat', 'jobs', 'protocol', 'transport', 'directory'], why: 'store knows SQL and its own rows, not rules or wire shapes' },
  { folder: 'transport', forbidden: ['store'], why: 'transport goes through the services, never the store' },
  { folder: 'directory', forbidden: ['protocol', 'transport'], why: 'directory services take domain inputs, not wire types' },
];

for (const rule of rules) {
  t.test(`${rule.folder}: ${rule.why}`, async (t) => {
    const broken = imports.filter((i) => i.from === rule.folder
      && (rule.allowed ? !rule.allowed.includes(i.to) : rule.forbidden!.includes(i.to)));
    t.same(broken.length, 0, broken.length ? `${rule.why}:\n${describe(broken)}` : rule.why);
  });
}
