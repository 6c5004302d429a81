// Hotel scoping: every directory query runs inside the caller's hotel. Platform admins work
// across hotels and name one where a write needs it.
import { ForbiddenError, NotFoundError, ValidationError } from '../core/errors.js';
import type { User } from '../core/directory.js';
import { isPlatformAdmin } from './roles.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** Hotel filter of a list: a platform admin sees all (or the one asked for), others their own. */
export function listScope(actor: User, requested?: string): string | null {
  if (isPlatformAdmin(actor)) {
    if (requested !== undefined && !isUuid(requested)) throw ValidationError.of({ hotel: 'must be a hotel id (uuid)' });
    return requested ?? null;
  }
  return actor.hotel_id!;
}

/** Hotel a write applies to. Platform admins must name it; others always act in their own. */
export function writeScope(actor: User, requested?: string): string {
  if (isPlatformAdmin(actor)) {
    if (!requested) throw ValidationError.of({ hotel_id: 'is required for platform administrators' });
    return requested;
  }
  if (requested !== undefined && requested !== actor.hotel_id) throw ValidationError.of({ hotel_id: 'must be your own hotel' });
  return actor.hotel_id!;
}

export function requireRole(ok: boolean, what: string): void {
  if (!ok) throw new ForbiddenError(`You do not have permission to ${what}.`);
}

export function notFound(kind: string): NotFoundError {
  return new NotFoundError(`${kind} not found`);
}

/** A numeric id from a path segment; anything else cannot exist, so it is a 404. */
export function parseId(raw: string, kind: string): number {
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw notFound(kind);
  return n;
}
