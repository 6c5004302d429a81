// What never changes about a conversation — hotel, department, type, guest — looked up without
// its actor, so that access is decided before anything is allocated for an id a client named:
// only an authorised command reaches (and may spawn) a ConversationActor.
//
// Hits are kept in a bounded LRU (the facts are immutable, so an entry is never stale). Misses are
// coalesced into one primary-key query per event-loop turn. Absence is never remembered: ids are
// one global sequence, and an id that does not exist now may be created a moment later and must
// work at once. Instead, each caller has a small budget of lookups of ids not in the cache: one is
// taken before the query and given back if the conversation exists, so only not-found lookups
// (and those in flight) spend it. Once it is spent, that caller's lookups of uncached ids are
// refused (429) without a query until it refills; known conversations stay reachable, and other
// callers are unaffected. So a flood of random ids costs a bounded number of queries and no memory.
import type { ChatUser } from '../core/directory.js';
import { isChatStaff } from '../directory/roles.js';
import { ForbiddenError, NotFoundError, RateLimitedError } from '../core/errors.js';
import type { ConversationFacts } from '../store/conversations.js';
import { BatchLoader } from '../util/batch-loader.js';
import { Lru } from '../util/lru.js';
import { conversationAccess } from './rules.js';

export type { ConversationFacts };

export interface FactsLimits {
  /** Conversations whose facts are kept. */
  maxEntries: number;
  /** Not-found lookups a caller may make in a burst, and how fast that allowance comes back. */
  missBurst: number;
  missesPerSecond: number;
  /** Callers whose budget is tracked (the least recently seen are forgotten: they start full). */
  maxCallers: number;
}

interface Budget {
  tokens: number;
  at: number;
}

export class ConversationFactsCache {
  private readonly entries: Lru<number, ConversationFacts>;
  private readonly budgets: Lru<string, Budget>;
  private readonly loader: BatchLoader<number, ConversationFacts>;

  constructor(
    fetch: (ids: number[]) => Promise<ConversationFacts[]>,
    private readonly limits: FactsLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.entries = new Lru(limits.maxEntries);
    this.budgets = new Lru(limits.maxCallers);
    this.loader = new BatchLoader(async (ids) => new Map((await fetch(ids)).map((f) => [f.id, f])));
  }

  /**
   * The facts of conversation `id`, or undefined when there is no such conversation. `caller`
   * (e.g. "staff:12") names whose not-found budget an unknown id is charged to; internal callers
   * that read ids from the database pass none.
   */
  async get(id: number, caller?: string): Promise<ConversationFacts | undefined> {
    const hit = this.entries.get(id);
    if (hit) return hit;
    if (caller !== undefined) this.take(caller);
    let found: ConversationFacts | undefined;
    try {
      found = await this.loader.load(id);
    } catch (err) {
      if (caller !== undefined) this.giveBack(caller);
      throw err;
    }
    if (found) {
      this.entries.set(id, found);
      if (caller !== undefined) this.giveBack(caller);
    }
    return found;
  }

  get size(): number {
    return this.entries.size;
  }

  private refill(caller: string): Budget {
    const t = this.now();
    const b = this.budgets.get(caller) ?? { tokens: this.limits.missBurst, at: t };
    b.tokens = Math.min(this.limits.missBurst, b.tokens + ((t - b.at) / 1000) * this.limits.missesPerSecond);
    b.at = t;
    return b;
  }

  private take(caller: string): void {
    const b = this.refill(caller);
    this.budgets.set(caller, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    const wait = Math.max(1, Math.ceil((1 - b.tokens) / this.limits.missesPerSecond));
    throw new RateLimitedError(`too many lookups of conversations that do not exist; retry in ${wait} s`, wait);
  }

  private giveBack(caller: string): void {
    const b = this.refill(caller);
    b.tokens = Math.min(this.limits.missBurst, b.tokens + 1);
    this.budgets.set(caller, b);
  }
}

/** Only chat staff (department staff, receptionists, managers, hotel admins) use chat commands. */
export function staffOnly(user: ChatUser): void {
  if (!isChatStaff(user)) throw new ForbiddenError('Access denied. Only staff members can use chat.');
}

/**
 * A staff member's access to a conversation, decided without an actor: 404 across hotels and for
 * unknown ids, 403 across departments. A failed lookup (database down) stays what it is.
 */
export async function authoriseStaff(facts: Pick<ConversationFactsCache, 'get'>, user: ChatUser, conversationId: number): Promise<ConversationFacts> {
  staffOnly(user);
  const f = await facts.get(conversationId, `staff:${user.id}`);
  const access = f ? conversationAccess(user, f) : 'not_found';
  if (access === 'not_found') throw new NotFoundError('Conversation not found');
  if (access === 'forbidden') throw new ForbiddenError('Access denied to this conversation');
  return f!;
}
