// Per staff member read state: every seq up to lastReadSeq is read, plus the sparse set readSeqs
// above it. Marking exactly the messages asked for (not "everything up to") needs the sparse
// part; it is folded into lastReadSeq as soon as the gap closes, so it stays small.

export interface ReadState {
  lastReadSeq: number;
  readSeqs: number[];
}

/** Marks `seqs` read (all up to `upTo` when given) and compacts. Returns a new state. */
export function markRead(state: ReadState, seqs: readonly number[], upTo?: number): ReadState {
  let last = Math.max(state.lastReadSeq, upTo ?? 0);
  const set = new Set<number>();
  for (const s of [...state.readSeqs, ...seqs]) if (s > last) set.add(s);
  while (set.has(last + 1)) {
    set.delete(last + 1);
    last++;
  }
  return { lastReadSeq: last, readSeqs: [...set].sort((a, b) => a - b) };
}

export function isRead(state: ReadState, seq: number): boolean {
  return seq <= state.lastReadSeq || state.readSeqs.includes(seq);
}
