// A demo hotel (and a platform administrator for the operator console): complete profile, staff for every department, two floors of rooms, three
// checked-in guests and the relay channel its guests write to (webhooks name it as `channel`). Re-running it resets the demo staff passwords and prints the logins again.
import { randomBytes } from 'node:crypto';
import type { Department } from '../core/departments.js';
import type { UserType } from '../core/directory.js';
import type { Sql } from '../store/db.js';
import type { CpuPool } from '../workers/pool.js';

const HOTEL = {
  name: 'Lobbybee Demo Hotel',
  description: 'Demo property created by seed-demo',
  address: '1 Harbour Road',
  city: 'Kochi',
  state: 'Kerala',
  country: 'India',
  pincode: '682001',
  phone: '+914841234567',
  email: 'frontdesk@demo.lobbybee.test',
  time_zone: 'Asia/Kolkata',
  status: 'verified',
};

const STAFF: Array<{ username: string; first: string; last: string; type: UserType; departments: Department[] }> = [
  { username: 'demo_admin', first: 'Asha', last: 'Admin', type: 'hotel_admin', departments: ['Management'] },
  { username: 'demo_manager', first: 'Manu', last: 'Manager', type: 'manager', departments: ['Management'] },
  { username: 'demo_reception', first: 'Rita', last: 'Reception', type: 'receptionist', departments: ['Reception'] },
  { username: 'demo_housekeeping', first: 'Hari', last: 'Housekeeping', type: 'department_staff', departments: ['Housekeeping'] },
  { username: 'demo_roomservice', first: 'Rohan', last: 'Service', type: 'department_staff', departments: ['Room Service'] },
  { username: 'demo_restaurant', first: 'Rasa', last: 'Restaurant', type: 'department_staff', departments: ['Restaurant'] },
];

/** Sees every hotel (the operator console's cluster view); not tied to the demo hotel. */
const PLATFORM_ADMIN = { username: 'demo_platform', first: 'Pat', last: 'Platform' };

/** Every demo username, for tests and the start-up banner. */
export const DEMO_LOGINS: readonly string[] = [PLATFORM_ADMIN.username, ...STAFF.map((s) => s.username)];

/** The demo hotel's WhatsApp number, registered as its relay channel. */
const CHANNEL = { provider: 'relay', external_id: 'demo-relay', display_phone_number: HOTEL.phone };

const GUESTS = [
  { number: '+15550100001', name: 'Grace Hopper', room: '101' },
  { number: '+15550100002', name: 'Alan Turing', room: '102' },
  { number: '+15550100003', name: 'Ada Lovelace', room: '201' },
];

export async function seedDemo(sql: Sql, cpu: Pick<CpuPool, 'hashPassword'>, opts: { password?: string }): Promise<string> {
  const password = opts.password ?? randomBytes(9).toString('base64url');
  const hash = await cpu.hashPassword(password);
  const { hotelId, channel } = await sql.begin(async (tx) => {
    let [hotel] = await tx<{ id: string }[]>`select id from hotels where name = ${HOTEL.name} order by created_at limit 1`;
    if (!hotel) [hotel] = await tx<{ id: string }[]>`insert into hotels ${tx(HOTEL)} returning id`;
    const id = hotel!.id;
    for (const s of STAFF) {
      await tx`
        insert into users (username, email, password_hash, first_name, last_name, user_type, hotel_id, departments)
        values (${s.username}, ${`${s.username}@demo.lobbybee.test`}, ${hash}, ${s.first}, ${s.last}, ${s.type}, ${id}, ${s.departments}::text[])
        on conflict (lower(username)) do update set password_hash = excluded.password_hash, is_active = true`;
    }
    await tx`
      insert into users (username, email, password_hash, first_name, last_name, user_type, hotel_id, departments)
      values (${PLATFORM_ADMIN.username}, ${`${PLATFORM_ADMIN.username}@demo.lobbybee.test`}, ${hash}, ${PLATFORM_ADMIN.first}, ${PLATFORM_ADMIN.last}, 'platform_admin', null, '{}'::text[])
      on conflict (lower(username)) do update set password_hash = excluded.password_hash, is_active = true`;
    for (const floor of [1, 2]) {
      for (let n = 1; n <= 5; n++) {
        await tx`insert into rooms (hotel_id, room_number, floor) values (${id}, ${`${floor}0${n}`}, ${floor}) on conflict do nothing`;
      }
    }
    for (const g of GUESTS) {
      const [guest] = await tx<{ id: number }[]>`
        insert into guests (whatsapp_number, full_name, status, hotel_id) values (${g.number}, ${g.name}, 'checked_in', ${id})
        on conflict (hotel_id, whatsapp_number) do update set status = 'checked_in' returning id`;
      const [room] = await tx<{ id: number }[]>`select id from rooms where hotel_id = ${id} and room_number = ${g.room}`;
      const [active] = await tx`select 1 from stays where guest_id = ${guest!.id} and status = 'active'`;
      if (!active) {
        await tx`
          insert into stays (hotel_id, guest_id, room_id, status, check_in_date, check_out_date, actual_check_in)
          values (${id}, ${guest!.id}, ${room!.id}, 'active', now(), now() + interval '3 days', now())`;
        await tx`update rooms set status = 'occupied' where id = ${room!.id}`;
      }
    }
    await tx`insert into channels ${tx({ ...CHANNEL, hotel_id: id })} on conflict (provider, external_id) do nothing`;
    const [ch] = await tx<{ hotel_id: string }[]>`select hotel_id from channels where provider = ${CHANNEL.provider} and external_id = ${CHANNEL.external_id}`;
    const channel = ch!.hotel_id === id ? CHANNEL.external_id : `(none: "${CHANNEL.external_id}" belongs to another hotel)`;
    return { hotelId: id, channel };
  });
  const lines = [
    `demo hotel: ${HOTEL.name} (${hotelId})`,
    `password for every demo login: ${password}`,
    '',
    'logins:',
    `  ${PLATFORM_ADMIN.username.padEnd(20)} ${'platform_admin'.padEnd(17)} every hotel`,
    ...STAFF.map((s) => `  ${s.username.padEnd(20)} ${s.type.padEnd(17)} ${s.departments.join(', ')}`),
    '',
    'checked-in guests (WhatsApp numbers):',
    ...GUESTS.map((g) => `  ${g.number}  ${g.name.padEnd(14)} room ${g.room}`),
    '',
    `relay channel (webhooks send it as "channel"; it decides the hotel): ${channel}  (${CHANNEL.display_phone_number})`,
    '',
  ];
  return lines.join('\n');
}
