// Prints the configuration docs generated from the environment schema, so they cannot drift:
//   npx tsx scripts/gen-config-docs.ts env    > .env.example
//   npx tsx scripts/gen-config-docs.ts readme   (the table for README.md's "## Configuration")
//   npm run docs:config                           (rewrites both in place)
// test/unit/env-example.test.ts fails when .env.example differs from this output.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EnvSchema } from '../src/config/schema.js';

interface Setting {
  name: string;
  default: string;
  description: string;
  /** Allowed values and bounds, e.g. "one of: a, b" or "integer 1–200" ('' for free text). */
  kind: string;
  secret: boolean;
}

interface FieldSchema {
  default?: unknown;
  description?: string;
  secret?: boolean;
  type?: string;
  minimum?: number;
  maximum?: number;
  anyOf?: Array<{ const?: unknown }>;
}

function kindOf(s: FieldSchema): string {
  if (s.anyOf) return `one of: ${s.anyOf.map((v) => String(v.const)).join(', ')}`;
  if (s.type === 'integer') {
    const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? `–${s.maximum}` : '';
    return max ? `integer ${s.minimum ?? 0}${max}` : `integer ≥ ${s.minimum ?? 0}`;
  }
  if (s.type === 'boolean') return 'true or false';
  return '';
}

/** " [integer 1–200; secret]": what a reader needs to pick a valid value. */
function note(s: Setting): string {
  const parts = [s.kind, s.secret ? 'secret' : ''].filter(Boolean);
  return parts.length ? ` [${parts.join('; ')}]` : '';
}

export function settings(): Setting[] {
  return Object.entries(EnvSchema.properties).map(([name, raw]) => {
    const s = raw as FieldSchema;
    const secret = s.secret === true;
    return { name, secret, default: secret ? '' : String(s.default ?? ''), description: s.description ?? '', kind: kindOf(s) };
  });
}

/** Values with spaces or # are quoted (docker compose env files and node --env-file read both). */
function envValue(v: string): string {
  return /[\s#"']/.test(v) ? `"${v}"` : v;
}

export function envExample(): string {
  const lines = [
    '# Lobbybee Realtime configuration: every setting, with its default. Copy to .env and edit.',
    '# An empty value means "use the default". Secrets are never given a value here.',
    '# Generated from src/config/schema.ts by `npx tsx scripts/gen-config-docs.ts env > .env.example`;',
    '# edit the schema, not this file (a test compares the two).',
  ];
  for (const s of settings()) {
    lines.push('', `# ${s.description}${note(s)}`, `${s.name}=${envValue(s.default)}`);
  }
  return `${lines.join('\n')}\n`;
}

const cell = (v: string) => v.replace(/\|/g, '\\|');

export function readmeTable(): string {
  const rows = ['| Variable | Default | Description |', '| --- | --- | --- |'];
  for (const s of settings()) {
    const def = s.default === '' ? '' : `\`${cell(s.default)}\``;
    rows.push(`| \`${s.name}\` | ${def} | ${cell(s.description + note(s))} |`);
  }
  return `${rows.join('\n')}\n`;
}

/** Rewrites .env.example and the table inside README.md's "## Configuration" section. */
export function writeDocs(root: string): void {
  writeFileSync(path.join(root, '.env.example'), envExample());
  const readmePath = path.join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const start = readme.indexOf('| Variable | Default | Description |');
  if (start < 0) throw new Error('README.md has no configuration table to replace');
  let end = readme.indexOf('\n\n', start);
  if (end < 0) end = readme.length;
  writeFileSync(readmePath, readme.slice(0, start) + readmeTable().trimEnd() + readme.slice(end));
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const what = process.argv[2];
  if (what === 'env') process.stdout.write(envExample());
  else if (what === 'readme') process.stdout.write(readmeTable());
  else if (what === 'write') writeDocs(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
  else {
    process.stderr.write('usage: tsx scripts/gen-config-docs.ts env|readme|write\n');
    process.exitCode = 64;
  }
}
