// Request/reply with an actor: the message carries a reply slot; the caller waits at most
// timeoutMs. A late reply after the timeout is ignored.
import { UnavailableError } from '../core/errors.js';
import type { Actor } from './actor.js';

export interface ReplyTo<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function ask<M, T>(actor: Actor<M>, build: (reply: ReplyTo<T>) => M, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(new UnavailableError(`${actor.type} ${actor.key} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const reply: ReplyTo<T> = {
      resolve: (v) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(v);
      },
      reject: (e) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(e);
      },
    };
    try {
      actor.tell(build(reply));
    } catch (err) {
      reply.reject(err);
    }
  });
}
