// Rooms of a hotel: its admins and managers manage them, all its staff can read them.
import { ConflictError } from '../core/errors.js';
import type { Sql } from '../store/db.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Page, Paged } from '../core/paging.js';
import * as store from '../store/rooms.js';
import type { Room, RoomInput, RoomPatchInput, User } from '../core/directory.js';
import { canManageHotel, isPlatformAdmin } from './roles.js';
import { listScope, notFound, requireRole, writeScope } from './scope.js';

function duplicate(err: unknown): never {
  if (isUniqueViolation(err, 'rooms_number_per_hotel')) throw new ConflictError('This hotel already has a room with that number.', { details: { field: 'room_number' } });
  throw err;
}

export class RoomService {
  constructor(private readonly sql: Sql) {}

  async get(actor: User, id: number): Promise<Room> {
    const r = await store.findRoom(this.sql, isPlatformAdmin(actor) ? null : actor.hotel_id, id);
    if (!r) throw notFound('Room');
    return r;
  }

  list(actor: User, q: { floor?: number; status?: string; search?: string; hotel?: string }, page: Page): Promise<Paged<Room>> {
    return store.listRooms(this.sql, { hotelId: listScope(actor, q.hotel), floor: q.floor, status: q.status, search: q.search }, page);
  }

  /** The floors that have rooms, lowest first (the rooms page's floor filter). */
  floors(actor: User, q: { hotel?: string }): Promise<number[]> {
    return store.roomFloors(this.sql, listScope(actor, q.hotel));
  }

  async create(actor: User, body: RoomInput): Promise<Room> {
    requireRole(canManageHotel(actor), 'manage rooms');
    const hotelId = writeScope(actor, body.hotel_id);
    try {
      return await store.insertRoom(this.sql, { hotel_id: hotelId, room_number: body.room_number, floor: body.floor, status: body.status ?? 'available' });
    } catch (err) {
      duplicate(err);
    }
  }

  async update(actor: User, id: number, body: RoomPatchInput): Promise<Room> {
    const room = await this.get(actor, id);
    requireRole(canManageHotel(actor), 'manage rooms');
    try {
      const r = await store.updateRoom(this.sql, room.hotel_id, id, body);
      if (!r) throw notFound('Room');
      return r;
    } catch (err) {
      duplicate(err);
    }
  }

  async remove(actor: User, id: number): Promise<void> {
    const room = await this.get(actor, id);
    requireRole(canManageHotel(actor), 'manage rooms');
    if (await store.roomHasActiveStay(this.sql, id)) throw new ConflictError('The room has a guest checked in; check out first.');
    await store.deleteRoom(this.sql, room.hotel_id, id);
  }
}
