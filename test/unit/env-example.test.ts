// .env.example and README's configuration table must describe exactly the settings in EnvSchema.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parseEnv } from '../../src/config/load.js';
import { EnvSchema } from '../../src/config/schema.js';
import { projectRoot } from '../../src/util/paths.js';
import { envExample, readmeTable } from '../../scripts/gen-config-docs.js';

const root = projectRoot();
const keys = Object.keys(EnvSchema.properties).sort();

t.test('.env.example lists every setting and nothing else', async (t) => {
  const text = readFileSync(path.join(root, '.env.example'), 'utf8');
  const listed = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  t.same([...listed].sort(), keys, 'same keys as EnvSchema');
  t.equal(new Set(listed).size, listed.length, 'no key twice');
  t.equal(text, envExample(), 'matches `npx tsx scripts/gen-config-docs.ts env` (regenerate it after a schema change)');

  // Copied as-is to .env, the file must be a valid configuration that means "all defaults".
  const values = Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^"(.*)"$/, '$1')]));
  t.same(parseEnv(values), parseEnv({}), 'parses to the defaults');
});

// The README is written by hand around a generated table; until it has the section, say so.
const readmeFile = path.join(root, 'README.md');
const readme = existsSync(readmeFile) ? readFileSync(readmeFile, 'utf8') : '';
const section = /^## Configuration\b[^\n]*\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1];
const noSection = 'README.md has no "## Configuration" section yet (its table: `npx tsx scripts/gen-config-docs.ts readme`)';

t.test('README.md configuration section names every setting', { skip: section === undefined ? noSection : false }, async (t) => {
  const missing = keys.filter((k) => !new RegExp(`\\b${k}\\b`).test(section!));
  t.same(missing, [], 'every EnvSchema key appears in the Configuration section');
  t.ok(section!.includes(readmeTable().trim()), 'the table is the generated one (`npm run docs:config`)');
});
