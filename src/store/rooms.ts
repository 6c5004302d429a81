// Rooms of a hotel.
import type { Room, RoomStatus } from '../core/directory.js';
import { assignments, type Db } from './db.js';
import type { Page, Paged } from '../core/paging.js';

/** hotelId null: any hotel (platform administrators). */
export async function findRoom(db: Db, hotelId: string | null, id: number): Promise<Room | undefined> {
  const [r] = await db<Room[]>`select * from rooms where id = ${id} ${hotelId ? db`and hotel_id = ${hotelId}` : db``}`;
  return r;
}

export async function roomHasActiveStay(db: Db, id: number): Promise<boolean> {
  const rows = await db`select 1 from stays where room_id = ${id} and status = 'active' limit 1`;
  return rows.length > 0;
}

export async function insertRoom(db: Db, r: { hotel_id: string; room_number: string; floor: number; status: RoomStatus }): Promise<Room> {
  const [row] = await db<Room[]>`
    insert into rooms (hotel_id, room_number, floor, status) values (${r.hotel_id}, ${r.room_number}, ${r.floor}, ${r.status})
    returning *`;
  return row!;
}

export async function updateRoom(db: Db, hotelId: string, id: number, fields: Partial<Pick<Room, 'room_number' | 'floor' | 'status'>>): Promise<Room | undefined> {
  const [row] = await db<Room[]>`
    update rooms set ${assignments(db, fields)}
    where id = ${id} and hotel_id = ${hotelId} returning *`;
  return row;
}

export async function setRoomStatus(db: Db, id: number, status: RoomStatus): Promise<void> {
  await db`update rooms set status = ${status}, updated_at = now() where id = ${id}`;
}

export async function deleteRoom(db: Db, hotelId: string, id: number): Promise<boolean> {
  const rows = await db`delete from rooms where id = ${id} and hotel_id = ${hotelId} returning id`;
  return rows.length === 1;
}

/** `text` as a LIKE pattern matching itself anywhere (its % _ and \\ taken literally). */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function listRooms(db: Db, f: { hotelId: string | null; floor?: number; status?: string; search?: string }, page: Page): Promise<Paged<Room>> {
  const where = db`
    where true
    ${f.hotelId ? db`and hotel_id = ${f.hotelId}` : db``}
    ${f.floor !== undefined ? db`and floor = ${f.floor}` : db``}
    ${f.status ? db`and status = ${f.status}` : db``}
    ${f.search ? db`and room_number ilike ${containing(f.search)}` : db``}`;
  const [rows, [c]] = await Promise.all([
    db<Room[]>`select * from rooms ${where} order by floor, room_number limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from rooms ${where}`,
  ]);
  return { count: c!.n, rows };
}

export async function roomFloors(db: Db, hotelId: string | null): Promise<number[]> {
  const rows = await db<{ floor: number }[]>`
    select distinct floor from rooms ${hotelId ? db`where hotel_id = ${hotelId}` : db``} order by floor`;
  return rows.map((r) => r.floor);
}
