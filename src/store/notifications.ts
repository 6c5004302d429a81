// The per-user notification inbox the dashboard polls.
import type { Notification } from '../core/directory.js';
import type { Db } from './db.js';
import type { Page, Paged } from '../core/paging.js';

/** One row per recipient: the hotel's admins, managers and receptionists. */
export async function notifyHotelDesk(
  db: Db,
  hotelId: string,
  n: { type: string; title: string; message: string; link?: string; link_label?: string },
): Promise<number> {
  const rows = await db`
    insert into notifications (user_id, hotel_id, type, title, message, link, link_label)
    select id, ${hotelId}, ${n.type}, ${n.title}, ${n.message}, ${n.link ?? ''}, ${n.link_label ?? ''}
    from users where hotel_id = ${hotelId} and is_active and user_type in ('hotel_admin', 'manager', 'receptionist')
    returning id`;
  return rows.length;
}

export async function listNotifications(db: Db, userId: number, f: { unread?: boolean }, page: Page): Promise<Paged<Notification>> {
  const where = db`where user_id = ${userId} ${f.unread ? db`and not is_read` : db``}`;
  const [rows, [c]] = await Promise.all([
    db<Notification[]>`select * from notifications ${where} order by created_at desc, id desc limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from notifications ${where}`,
  ]);
  return { count: c!.n, rows };
}

export async function markNotificationRead(db: Db, userId: number, id: number): Promise<boolean> {
  const rows = await db`update notifications set is_read = true where id = ${id} and user_id = ${userId} returning id`;
  return rows.length === 1;
}

export async function markAllNotificationsRead(db: Db, userId: number): Promise<number> {
  const rows = await db`update notifications set is_read = true where user_id = ${userId} and not is_read returning id`;
  return rows.length;
}
