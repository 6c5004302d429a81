// How much garbage the V8 heap may keep between full collections. V8's own factor lets the old
// generation grow to several times its live size first: after a connection storm (every
// handshake's objects outlive a few scavenges and are promoted) an idle node with 10,000 sockets
// held 8–9 KB of RSS per socket, of which under 2 KB were live. A lower factor makes V8 collect
// sooner; the price is more full collections under load (none measurable in the bench: see
// bench/README.md). The flag is read by V8 each time it sets the next limit, so setting it once
// at start-up, before the node takes traffic, applies to every later collection.
import v8 from 'node:v8';

/** 0 leaves V8's default; otherwise the old generation may grow by `percent` % between full GCs. */
export function applyHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growth percent must be a non-negative integer, got ${percent}`);
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
