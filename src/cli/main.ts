// Operator commands (what the original system did with management commands):
//   migrate                       apply sql/ migrations
//   createsuperuser [--username U --email E --password P]   create a platform administrator
//   seed-demo [--password P]      a demo hotel with staff in every department, rooms and guests
//   jobs:ping [--timeout-ms N]    enqueue a ping job and wait for a worker's answer
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/load.js';
import { createLogger } from '../obs/log.js';
import { openDatabase, type Database } from '../app/database.js';
import { createCpuPool } from '../workers/pool.js';
import { createSuperuser } from './createsuperuser.js';
import { seedDemo } from './seed-demo.js';
import { pingJobs } from './jobs-ping.js';
import { CliError } from './errors.js';


const USAGE = `usage: npm run cli -- <command> [options]
  migrate
  createsuperuser [--username U] [--email E] [--password P]
  seed-demo [--password P]
  jobs:ping [--timeout-ms N]`;

async function withDb<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  const log = createLogger({ level: process.env['LOG_LEVEL'] === undefined ? 'warn' : config.log.level, nodeId: `${config.nodeId}-cli` });
  const db = await openDatabase(config.db, `${config.nodeId}-cli`, log);
  try {
    const ok = await Promise.race([db.whenMigrated().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 30_000).unref())]);
    if (!ok) throw new CliError('database not reachable within 30 s (check DATABASE_URL)');
    return await fn(db);
  } finally {
    await db.stop();
  }
}

async function prompt(question: string, hidden = false): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  if (hidden) {
    // Mask typed characters of a password.
    const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
    out._writeToOutput = (s: string) => out.output.write(s.includes(question) ? s : '*');
  }
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
    if (hidden) process.stdout.write('\n');
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  switch (command) {
    case 'migrate':
      await withDb(config, async () => undefined);
      process.stdout.write('migrations are up to date\n');
      return 0;
    case 'createsuperuser': {
      const { values } = parseArgs({ args: rest, options: { username: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } } });
      const interactive = process.stdin.isTTY === true;
      const ask = async (name: 'username' | 'email' | 'password') => {
        if (values[name]) return values[name]!;
        if (!interactive) throw new CliError(`--${name} is required when not on a terminal`);
        return prompt(`${name[0]!.toUpperCase()}${name.slice(1)}: `, name === 'password');
      };
      const input = { username: await ask('username'), email: await ask('email'), password: await ask('password') };
      const cpu = createCpuPool({ threads: 1 });
      try {
        const id = await withDb(config, (db) => createSuperuser(db.sql, cpu, input));
        process.stdout.write(`platform administrator "${input.username}" created (id ${id})\n`);
      } finally {
        await cpu.stop();
      }
      return 0;
    }
    case 'seed-demo': {
      const { values } = parseArgs({ args: rest, options: { password: { type: 'string' } } });
      const cpu = createCpuPool({ threads: 2 });
      try {
        const result = await withDb(config, (db) => seedDemo(db.sql, cpu, { password: values.password }));
        process.stdout.write(result);
      } finally {
        await cpu.stop();
      }
      return 0;
    }
    case 'jobs:ping': {
      const { values } = parseArgs({ args: rest, options: { 'timeout-ms': { type: 'string' } } });
      const timeoutMs = Number(values['timeout-ms'] ?? 10_000);
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliError('--timeout-ms must be a positive number');
      process.stdout.write(`${await pingJobs(config, timeoutMs)}\n`);
      return 0;
    }
    default:
      throw new CliError(`unknown command "${command}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError || err instanceof CliError || (err as Error).name === 'EmbeddedPostgresError') {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    const msg = (err as { code?: string }).code === 'conflict' || (err as Error).name === 'ConflictError' ? (err as Error).message : ((err as Error).stack ?? String(err));
    process.stderr.write(`error: ${msg}\n`);
    process.exit(1);
  },
);
