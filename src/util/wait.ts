// Small waits with deadlines, shared by the parts that stop or poll.

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True if `p` settles (either way) within `ms`; false once the time is up. */
export function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = p.then(() => true, () => true);
  return Promise.race([settled, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms))))]).finally(() => clearTimeout(timer));
}
