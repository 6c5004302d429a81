// Cluster presence of staff: one row per (node, user, department) while the node has a socket of
// that user there. "Connected" and "disconnected" are decided against the other nodes' rows.
import type { Department } from '../core/departments.js';
import type { Db } from './db.js';

/**
 * Applies this node's presence changes in one department at once: rows for users who came
 * online, removal for those who left. Returns, per user, whether another node has them there
 * too (then nobody else needs to hear about it).
 */
export function presenceChanges(
  db: Db,
  c: { nodeId: string; hotelId: string; department: Department; up: number[]; down: number[] },
): Promise<Array<{ user_id: number; dir: 'up' | 'down'; elsewhere: boolean }>> {
  return db<Array<{ user_id: number; dir: 'up' | 'down'; elsewhere: boolean }>>`
    with up as (
      insert into presence (node_id, user_id, hotel_id, department)
      select ${c.nodeId}, u, ${c.hotelId}, ${c.department} from unnest(${c.up}::bigint[]) u
      on conflict (node_id, user_id, department) do update set seen_at = now()
    ), down as (
      delete from presence where node_id = ${c.nodeId} and department = ${c.department} and user_id = any(${c.down}::bigint[])
    ), changes as (
      select u as user_id, 'up' as dir from unnest(${c.up}::bigint[]) u
      union all
      select u, 'down' from unnest(${c.down}::bigint[]) u
    )
    select ch.user_id, ch.dir,
           exists (select 1 from presence p where p.user_id = ch.user_id and p.department = ${c.department} and p.node_id <> ${c.nodeId}) as elsewhere
    from changes ch`;
}

/** Refreshes this node's rows; rows being changed right now are skipped (no lock waits, no deadlock). */
export async function heartbeat(db: Db, nodeId: string): Promise<void> {
  await db`
    update presence set seen_at = now()
    where ctid = any(array(select ctid from presence where node_id = ${nodeId} for update skip locked))`;
}

export async function clearNode(db: Db, nodeId: string): Promise<void> {
  await db`delete from presence where node_id = ${nodeId}`;
}

/** Deletes rows of nodes that stopped heartbeating; returns users now absent from a department. */
export function expireStale(db: Db, ttlSeconds: number): Promise<Array<{ user_id: number; hotel_id: string; department: Department; name: string }>> {
  return db`
    with gone as (
      delete from presence where seen_at < now() - make_interval(secs => ${ttlSeconds})
      returning user_id, hotel_id, department
    )
    select distinct g.user_id, g.hotel_id, g.department,
           coalesce(nullif(trim(u.first_name || ' ' || u.last_name), ''), u.username) as name
    from gone g join users u on u.id = g.user_id
    where not exists (
      select 1 from presence p
      where p.user_id = g.user_id and p.department = g.department and p.seen_at >= now() - make_interval(secs => ${ttlSeconds})
    )` as unknown as Promise<Array<{ user_id: number; hotel_id: string; department: Department; name: string }>>;
}

export interface PresenceChange {
  hotelId: string;
  department: Department;
  up: number[];
  down: number[];
}

/**
 * presenceChanges for several departments in one statement (a reconnect storm touches every
 * department of the node at once). Row i of the answer belongs to changes[idx]. Each department
 * appears at most once (its actor waits for its previous change), so no row is written twice.
 */
export function presenceChangesMany(
  db: Db,
  nodeId: string,
  changes: PresenceChange[],
): Promise<Array<{ idx: number; user_id: number; dir: 'up' | 'down'; elsewhere: boolean }>> {
  const idx: number[] = [];
  const user: number[] = [];
  const hotel: string[] = [];
  const dept: string[] = [];
  const dir: string[] = [];
  changes.forEach((c, i) => {
    for (const [ids, d] of [[c.up, 'up'], [c.down, 'down']] as const) {
      for (const u of ids) {
        idx.push(i);
        user.push(u);
        hotel.push(c.hotelId);
        dept.push(c.department);
        dir.push(d);
      }
    }
  });
  return db<Array<{ idx: number; user_id: number; dir: 'up' | 'down'; elsewhere: boolean }>>`
    with input as (
      select * from unnest(${idx}::int[], ${user}::bigint[], ${hotel}::uuid[], ${dept}::text[], ${dir}::text[])
        as i (idx, user_id, hotel_id, department, dir)
    ), up as (
      insert into presence (node_id, user_id, hotel_id, department)
      select ${nodeId}, user_id, hotel_id, department from input where dir = 'up'
      on conflict (node_id, user_id, department) do update set seen_at = now()
    ), down as (
      delete from presence p using input i
      where i.dir = 'down' and p.node_id = ${nodeId} and p.department = i.department and p.user_id = i.user_id
    )
    select i.idx, i.user_id, i.dir,
           exists (select 1 from presence p where p.user_id = i.user_id and p.department = i.department and p.node_id <> ${nodeId}) as elsewhere
    from input i`;
}
