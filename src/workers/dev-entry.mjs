// Worker entry when running from TypeScript sources (tsx, tap): worker threads do not inherit the
// TypeScript loader, so load tasks.ts through tsx's API. Production runs the compiled tasks.js.
import { tsImport } from 'tsx/esm/api';

const tasks = tsImport('./tasks.ts', import.meta.url);

export default async function run(message) {
  const mod = await tasks;
  return mod.default(message);
}
