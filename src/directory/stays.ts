// Stays: pending → active (check-in) → completed (check-out), or pending → cancelled. Check-in
// and check-out move the guest's status (pending_checkin → checked_in → checked_out), which is
// what chat routing follows. Each transition is one transaction; effects on chat (closing the
// guest's conversations at checkout) run after it commits.
import { ConflictError, ValidationError } from '../core/errors.js';
import type { Db, Sql } from '../store/db.js';
import { isUniqueViolation } from '../store/errors.js';
import { notifyHotelDesk } from '../store/notifications.js';
import type { Page, Paged } from '../core/paging.js';
import * as rooms from '../store/rooms.js';
import * as guests from '../store/guests.js';
import * as store from '../store/stays.js';
import type { GuestService } from './guests.js';
import type { CheckInInput, StayInput, StayPatchInput, StayView, User } from '../core/directory.js';
import { canManageGuests, isPlatformAdmin } from './roles.js';
import { listScope, notFound, requireRole, writeScope } from './scope.js';

export interface StayHooks {
  /** The guest's status changed (caches that route messages by status must follow). */
  guestChanged(guestId: number, current?: { hotel_id: string; whatsapp_number: string }): void;
  /** The guest has no active stay left at this hotel: close their conversations there. */
  checkedOut(guestId: number, hotelId: string): Promise<void>;
}

export interface StayServiceDeps {
  sql: Sql;
  guests: GuestService;
  hooks: StayHooks;
}

/** Parses an ISO date (the schema checked the shape); a day that does not exist is refused. */
function parseDate(v: string | undefined, field: string): Date | null {
  if (v === undefined) return null;
  const [y, m, d] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  const parsed = new Date(v);
  if (day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d || Number.isNaN(parsed.getTime())) {
    throw ValidationError.of({ [field]: `"${v}" is not a real date` });
  }
  return parsed;
}

/** The new dates, checked in order against each other and the stored ones they leave in place. */
function dates(
  body: { check_in_date?: string; check_out_date?: string },
  stored: { check_in_date: Date | null; check_out_date: Date | null } = { check_in_date: null, check_out_date: null },
): { in: Date | null; out: Date | null } {
  const result = { in: parseDate(body.check_in_date, 'check_in_date'), out: parseDate(body.check_out_date, 'check_out_date') };
  const checkIn = result.in ?? stored.check_in_date;
  const checkOut = result.out ?? stored.check_out_date;
  if (checkIn && checkOut && checkOut < checkIn) {
    throw ValidationError.of({ [result.out ? 'check_out_date' : 'check_in_date']: 'check_out_date must not be before check_in_date' });
  }
  return result;
}

export class StayService {
  constructor(private readonly deps: StayServiceDeps) {}

  private scope(actor: User): string | null {
    return isPlatformAdmin(actor) ? null : actor.hotel_id;
  }

  async get(actor: User, id: number, db: Db = this.deps.sql): Promise<StayView> {
    const s = await store.findStay(db, this.scope(actor), id);
    if (!s) throw notFound('Stay');
    return s;
  }

  list(actor: User, q: { status?: string; guest?: number }, page: Page): Promise<Paged<StayView>> {
    return store.listStays(this.deps.sql, { hotelId: listScope(actor), status: q.status, guestId: q.guest }, page);
  }

  private async roomOf(db: Db, hotelId: string, roomId: number | null | undefined): Promise<number | null> {
    if (roomId === undefined || roomId === null) return null;
    if (!(await rooms.findRoom(db, hotelId, roomId))) throw ValidationError.of({ room_id: 'no such room in this hotel' });
    return roomId;
  }

  async create(actor: User, body: StayInput): Promise<StayView> {
    requireRole(canManageGuests(actor), 'create stays');
    const hotelId = writeScope(actor, body.hotel_id);
    if ((body.guest_id === undefined) === (body.guest === undefined)) {
      throw ValidationError.of({ guest_id: 'give exactly one of guest_id or guest' });
    }
    const { in: checkIn, out: checkOut } = dates(body);
    const id = await this.deps.sql.begin(async (tx) => {
      const guest = body.guest
        ? await this.deps.guests.findOrCreate(actor, hotelId, body.guest, tx)
        : await guests.findGuest(tx, body.guest_id!, hotelId);
      if (!guest) throw ValidationError.of({ guest_id: 'no such guest in this hotel' });
      return store.insertStay(tx, {
        hotel_id: hotelId,
        guest_id: guest.id,
        room_id: await this.roomOf(tx, hotelId, body.room_id),
        check_in_date: checkIn,
        check_out_date: checkOut,
        number_of_guests: body.number_of_guests ?? 1,
      });
    });
    return (await store.findStay(this.deps.sql, hotelId, id))!;
  }

  async update(actor: User, id: number, body: StayPatchInput): Promise<StayView> {
    // Look up first: another hotel's stay is a 404 whatever the caller's role.
    const stay = await this.get(actor, id);
    requireRole(canManageGuests(actor), 'edit stays');
    if (stay.status === 'completed' || stay.status === 'cancelled') throw new ConflictError(`The stay is ${stay.status}.`);
    const { in: checkIn, out: checkOut } = dates(body, stay);
    const fields: Parameters<typeof store.updateStay>[3] = {};
    if (body.room_id !== undefined) {
      if (stay.status === 'active') throw new ConflictError('Change the room of an active stay by checking out and in again.');
      fields.room_id = await this.roomOf(this.deps.sql, stay.hotel_id, body.room_id);
    }
    if (checkIn) fields.check_in_date = checkIn;
    if (checkOut) fields.check_out_date = checkOut;
    if (body.number_of_guests !== undefined) fields.number_of_guests = body.number_of_guests;
    if (Object.keys(fields).length) await store.updateStay(this.deps.sql, stay.hotel_id, id, fields);
    return this.get(actor, id);
  }

  async checkIn(actor: User, id: number, body: CheckInInput): Promise<StayView> {
    // Look up first: another hotel's stay is a 404 whatever the caller's role.
    const stay = await this.get(actor, id);
    requireRole(canManageGuests(actor), 'check guests in');
    try {
      await this.deps.sql.begin(async (tx) => {
        const roomId = body.room_id !== undefined ? await this.roomOf(tx, stay.hotel_id, body.room_id) : stay.room_id;
        const moved = await store.transitionStay(tx, id, 'pending', 'active', { room_id: roomId });
        if (!moved) throw new ConflictError(`Only a pending stay can be checked in; this one is ${stay.status}.`);
        if (roomId !== null) await rooms.setRoomStatus(tx, roomId, 'occupied');
        await guests.setGuestStatus(tx, stay.guest_id, 'checked_in');
        await notifyHotelDesk(tx, stay.hotel_id, {
          type: 'checkin',
          title: 'Guest checked in',
          message: `${stay.guest_name || stay.guest_whatsapp_number} checked in`,
          link: '/checkin',
          link_label: 'View stay',
        });
      });
    } catch (err) {
      if (isUniqueViolation(err, 'stays_one_active_per_room')) throw new ConflictError('That room already has a guest checked in.', { details: { field: 'room_id' } });
      throw err;
    }
    this.deps.hooks.guestChanged(stay.guest_id, { hotel_id: stay.hotel_id, whatsapp_number: stay.guest_whatsapp_number });
    return this.get(actor, id);
  }

  async checkOut(actor: User, id: number): Promise<StayView> {
    // Look up first: another hotel's stay is a 404 whatever the caller's role.
    const stay = await this.get(actor, id);
    requireRole(canManageGuests(actor), 'check guests out');
    const lastHere = await this.deps.sql.begin(async (tx) => {
      const moved = await store.transitionStay(tx, id, 'active', 'completed');
      if (!moved) throw new ConflictError(`Only an active stay can be checked out; this one is ${stay.status}.`);
      if (moved.room_id !== null) await rooms.setRoomStatus(tx, moved.room_id, 'cleaning');
      if ((await store.countActiveStays(tx, stay.guest_id)) === 0) await guests.setGuestStatus(tx, stay.guest_id, 'checked_out');
      return (await store.countActiveStays(tx, stay.guest_id, stay.hotel_id)) === 0;
    });
    this.deps.hooks.guestChanged(stay.guest_id, { hotel_id: stay.hotel_id, whatsapp_number: stay.guest_whatsapp_number });
    if (lastHere) await this.deps.hooks.checkedOut(stay.guest_id, stay.hotel_id);
    return this.get(actor, id);
  }

  async cancel(actor: User, id: number): Promise<StayView> {
    // Look up first: another hotel's stay is a 404 whatever the caller's role.
    const stay = await this.get(actor, id);
    requireRole(canManageGuests(actor), 'cancel stays');
    const moved = await store.transitionStay(this.deps.sql, id, 'pending', 'cancelled');
    if (!moved) throw new ConflictError(`Only a pending stay can be cancelled; this one is ${stay.status}.`);
    return this.get(actor, id);
  }
}
