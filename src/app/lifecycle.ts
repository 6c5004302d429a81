// Parts register a stop hook as they start; stopAll() runs the hooks in reverse order under one
// shared deadline, so a hung part cannot keep the process alive past SHUTDOWN_TIMEOUT_MS.
//
// A hook that misses the deadline is left behind, but the hooks after it still run, each told it
// has no time left and given a short grace: they close sockets, pools and timers, so a process
// that embeds the app (tests, tools) is not kept alive by parts that were never asked to stop.
import type { Logger } from '../obs/log.js';

/** How long each hook may take once the shared deadline has passed. */
export const FORCED_STOP_MS = 250;

export class Lifecycle {
  private hooks: Array<{ name: string; stop: (leftMs: number) => Promise<void> | void }> = [];
  private stopping: Promise<boolean> | null = null;

  /** `stop` is told how much of the shared deadline is left, to bound its own waits by it. */
  add(name: string, stop: (leftMs: number) => Promise<void> | void): void {
    this.hooks.push({ name, stop });
  }

  /** Resolves true if every hook finished before the deadline. */
  stopAll(deadlineMs: number, log: Logger): Promise<boolean> {
    this.stopping ??= this.run(deadlineMs, log);
    return this.stopping;
  }

  private async run(deadlineMs: number, log: Logger): Promise<boolean> {
    const end = Date.now() + deadlineMs;
    let clean = true;
    for (const { name, stop } of this.hooks.reverse()) {
      const left = Math.max(0, end - Date.now());
      if (left === 0) log.error({ part: name }, 'shutdown deadline passed; stopping it without waiting');
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => stop(left))
          .then(() => 'ok' as const, (err) => {
            log.error({ part: name, err }, 'stop failed');
            return 'failed' as const;
          }),
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(left, FORCED_STOP_MS)))),
      ]);
      clearTimeout(timer);
      if (outcome !== 'ok' || left === 0) clean = false;
      if (outcome === 'timeout') log.error({ part: name }, 'stop timed out');
      else log.debug({ part: name, outcome }, 'stopped');
    }
    return clean;
  }
}
