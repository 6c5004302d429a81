// Guests: each hotel keeps its own record per WhatsApp number and sees only its own; the front
// desk registers and edits them.
import { ConflictError, ValidationError } from '../core/errors.js';
import type { Db, Sql } from '../store/db.js';
import { isUniqueViolation } from '../store/errors.js';
import * as store from '../store/guests.js';
import type { Page, Paged } from '../core/paging.js';
import type { Guest, GuestInput, GuestPatchInput, User } from '../core/directory.js';
import { normalizePhone } from './phone.js';
import { canManageGuests, isPlatformAdmin } from './roles.js';
import { listScope, notFound, requireRole, writeScope } from './scope.js';

export interface GuestServiceDeps {
  sql: Sql;
  /** The guest's number or name changed (routing caches must drop it). */
  /** A guest changed; `current` is its hotel and number when known (caches keyed by number drop them at once). */
  onChanged: (guestId: number, current?: { hotel_id: string; whatsapp_number: string }) => void;
  defaultRegion?: string;
  signGuestToken: (guestId: number, number: string) => Promise<string>;
  guestTokenTtlS: number;
}

export class GuestService {
  constructor(private readonly deps: GuestServiceDeps) {}

  /**
   * The guest a socket for this number belongs to, across hotels (a guest token names only the
   * number): the record with an active stay wins. Undefined when no guest has the number.
   */
  async socketGuest(number: string): Promise<store.GuestContext | undefined> {
    const [ctx] = await store.guestContexts(this.deps.sql, [number]);
    return ctx;
  }

  number(raw: string, field = 'whatsapp_number'): string {
    const n = normalizePhone(raw, this.deps.defaultRegion);
    if (!n) throw ValidationError.of({ [field]: `"${raw}" is not a phone number in international form` });
    return n;
  }

  async get(actor: User, id: number): Promise<Guest> {
    const g = await store.findGuest(this.deps.sql, id, isPlatformAdmin(actor) ? null : actor.hotel_id);
    if (!g) throw notFound('Guest');
    return g;
  }

  list(actor: User, q: { search?: string; status?: string }, page: Page): Promise<Paged<Guest>> {
    const search = q.search?.trim();
    return store.listGuests(
      this.deps.sql,
      { hotelId: listScope(actor), status: q.status, text: search || undefined, number: search ? normalizePhone(search, this.deps.defaultRegion) : null },
      page,
    );
  }

  async create(actor: User, body: GuestInput, db: Db = this.deps.sql): Promise<Guest> {
    requireRole(canManageGuests(actor), 'register guests');
    const hotelId = writeScope(actor, body.hotel_id);
    const whatsapp_number = this.number(body.whatsapp_number);
    try {
      const g = await store.insertGuest(db, {
        whatsapp_number,
        full_name: body.full_name,
        email: body.email ?? '',
        nationality: body.nationality ?? '',
        hotel_id: hotelId,
      });
      // Webhook caches may remember this number as unknown. Inside a caller's transaction the
      // caller announces the change after its commit (a check-in does), never before it.
      if (db === this.deps.sql) this.deps.onChanged(g.id, g);
      return g;
    } catch (err) {
      if (isUniqueViolation(err, 'guests_number_per_hotel')) {
        throw new ConflictError('This hotel already has a guest with this WhatsApp number.', { details: { field: 'whatsapp_number' } });
      }
      throw err;
    }
  }

  /** For a stay: the hotel's guest with this number, registered now if the hotel has none. */
  async findOrCreate(actor: User, hotelId: string, body: GuestInput, db: Db): Promise<Guest> {
    const existing = await store.findGuestByNumber(db, hotelId, this.number(body.whatsapp_number, 'guest.whatsapp_number'));
    return existing ?? this.create(actor, { ...body, hotel_id: hotelId }, db);
  }

  async update(actor: User, id: number, body: GuestPatchInput): Promise<Guest> {
    await this.get(actor, id);
    requireRole(canManageGuests(actor), 'edit guests');
    const fields = { ...body, ...(body.whatsapp_number !== undefined ? { whatsapp_number: this.number(body.whatsapp_number) } : {}) };
    try {
      const g = await store.updateGuest(this.deps.sql, id, fields);
      if (!g) throw notFound('Guest');
      this.deps.onChanged(g.id, g);
      return g;
    } catch (err) {
      if (isUniqueViolation(err, 'guests_number_per_hotel')) throw new ConflictError('Another guest of this hotel has this WhatsApp number.', { details: { field: 'whatsapp_number' } });
      throw err;
    }
  }

  /** A token for the guest socket (/ws/guest/<number>/?token=…). */
  async issueSocketToken(actor: User, id: number): Promise<{ token: string; guest_id: number; whatsapp_number: string; expires_in: number }> {
    const g = await this.get(actor, id);
    requireRole(canManageGuests(actor), 'issue guest tokens');
    return { token: await this.deps.signGuestToken(g.id, g.whatsapp_number), guest_id: g.id, whatsapp_number: g.whatsapp_number, expires_in: this.deps.guestTokenTtlS };
  }
}
