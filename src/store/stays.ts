// Stays: the check-in record that links a guest to a hotel (and a room). Status transitions are
// conditional updates, so two desks checking in the same stay cannot both succeed.
import type { Stay, StayStatus, StayView } from '../core/directory.js';
import { assignments, type Db } from './db.js';
import type { Page, Paged } from '../core/paging.js';

const VIEW = (db: Db) => db`
  select s.*, r.room_number, r.floor, g.full_name as guest_name, g.whatsapp_number as guest_whatsapp_number
  from stays s join guests g on g.id = s.guest_id left join rooms r on r.id = s.room_id`;

export async function findStay(db: Db, hotelId: string | null, id: number): Promise<StayView | undefined> {
  const [s] = await db<StayView[]>`${VIEW(db)} where s.id = ${id} ${hotelId ? db`and s.hotel_id = ${hotelId}` : db``}`;
  return s;
}

export async function insertStay(
  db: Db,
  s: { hotel_id: string; guest_id: number; room_id: number | null; check_in_date: Date | null; check_out_date: Date | null; number_of_guests: number },
): Promise<number> {
  const [row] = await db<{ id: number }[]>`
    insert into stays (hotel_id, guest_id, room_id, check_in_date, check_out_date, number_of_guests)
    values (${s.hotel_id}, ${s.guest_id}, ${s.room_id}, ${s.check_in_date}, ${s.check_out_date}, ${s.number_of_guests})
    returning id`;
  return row!.id;
}

export async function updateStay(
  db: Db,
  hotelId: string,
  id: number,
  fields: Partial<Pick<Stay, 'room_id' | 'check_in_date' | 'check_out_date' | 'number_of_guests'>>,
): Promise<boolean> {
  const rows = await db`update stays set ${assignments(db, fields)}
                        where id = ${id} and hotel_id = ${hotelId} returning id`;
  return rows.length === 1;
}

/** Moves a stay from one status to another; false when it was not in `from`. */
export async function transitionStay(
  db: Db,
  id: number,
  from: StayStatus,
  to: StayStatus,
  extra: { room_id?: number | null } = {},
): Promise<Stay | undefined> {
  const [s] = await db<Stay[]>`
    update stays set status = ${to}, updated_at = now(),
      actual_check_in = case when ${to} = 'active' then now() else actual_check_in end,
      actual_check_out = case when ${to} = 'completed' then now() else actual_check_out end,
      room_id = ${extra.room_id === undefined ? db`room_id` : db`${extra.room_id}`}
    where id = ${id} and status = ${from}
    returning *`;
  return s;
}

/** Active stays of a guest, anywhere or at one hotel. */
export async function countActiveStays(db: Db, guestId: number, hotelId?: string): Promise<number> {
  const [r] = await db<{ n: number }[]>`
    select count(*)::int as n from stays
    where guest_id = ${guestId} and status = 'active' ${hotelId ? db`and hotel_id = ${hotelId}` : db``}`;
  return r!.n;
}

export async function listStays(
  db: Db,
  f: { hotelId: string | null; status?: string; guestId?: number },
  page: Page,
): Promise<Paged<StayView>> {
  const where = db`
    where true
    ${f.hotelId ? db`and s.hotel_id = ${f.hotelId}` : db``}
    ${f.status ? db`and s.status = ${f.status}` : db``}
    ${f.guestId !== undefined ? db`and s.guest_id = ${f.guestId}` : db``}`;
  const [rows, [c]] = await Promise.all([
    db<StayView[]>`${VIEW(db)} ${where} order by s.id desc limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from stays s ${where}`,
  ]);
  return { count: c!.n, rows };
}
