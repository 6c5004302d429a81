// Media objects and the messages that use them. A staff message claims its upload (message_id)
// in its own insert: see the trigger of sql/006_media_attach.sql.
import type { Db, Sql } from './db.js';
import type { StoredMessage } from './messages.js';

export interface MediaObject {
  key: string;
  hotel_id: string;
  conversation_id: number | null;
  uploaded_by: number | null;
  filename: string;
  content_type: string;
  size: number;
  thumbnail_key: string | null;
  message_id: number | null;
  created_at: Date;
}

export async function insertMediaObject(db: Db, o: Omit<MediaObject, 'created_at' | 'message_id'> & { message_id?: number | null }): Promise<void> {
  await db`
    insert into media_objects (key, hotel_id, conversation_id, uploaded_by, filename, content_type, size, thumbnail_key, message_id)
    values (${o.key}, ${o.hotel_id}, ${o.conversation_id}, ${o.uploaded_by}, ${o.filename}, ${o.content_type}, ${o.size},
            ${o.thumbnail_key}, ${o.message_id ?? null})`;
}

export async function findMediaObject(db: Db, key: string): Promise<MediaObject | undefined> {
  const [o] = await db<MediaObject[]>`select * from media_objects where key = ${key}`;
  return o;
}

/** Unclaimed and unreferenced: no message claimed the object, and no message points at its key. */
const UNREFERENCED = (db: Db) => db`
  o.message_id is null and not exists (select 1 from messages m where m.media_key = o.key)`;

/** Uploads no message uses, older than `hours`. */
export function orphanedMedia(db: Db, hours: number, limit: number): Promise<MediaObject[]> {
  return db<MediaObject[]>`
    select o.* from media_objects o
    where ${UNREFERENCED(db)} and o.created_at < now() - make_interval(hours => ${hours})
    order by o.created_at limit ${limit}`;
}

/**
 * Forgets an orphan before its bytes are deleted, in one statement that checks again that no
 * message uses it: a message that claimed it meanwhile keeps it (its claim holds the row lock;
 * this statement then sees the claim), and a message inserted after this commits is refused by
 * the claim trigger (sql/008_media_sweep_guard.sql). Undefined when the object is in use now.
 */
export async function claimOrphan(db: Db, key: string): Promise<{ key: string; thumbnail_key: string | null } | undefined> {
  const [o] = await db<{ key: string; thumbnail_key: string | null }[]>`
    delete from media_objects o where o.key = ${key} and ${UNREFERENCED(db)}
    returning o.key, o.thumbnail_key`;
  return o;
}

/** Media of conversations archived more than `days` ago. */
export function expiredMedia(db: Db, days: number, limit: number): Promise<MediaObject[]> {
  return db<MediaObject[]>`
    select o.* from media_objects o join conversations c on c.id = o.conversation_id
    where c.status = 'archived' and c.archived_at < now() - make_interval(days => ${days})
    order by o.created_at limit ${limit}`;
}

/** Forgets an object: its messages keep their filename but lose the file. */
export async function dropMediaObject(db: Sql, key: string): Promise<void> {
  await db.begin(async (tx) => {
    await tx`update messages set media_key = null, updated_at = now() where media_key = ${key}`;
    await tx`delete from media_objects where key = ${key}`;
  });
}

/** What ingesting a provider's media needs. */
export interface IngestTarget {
  id: number;
  conversation_id: number;
  hotel_id: string;
  message_type: string;
  media_key: string | null;
  media_source: string | null;
  media_filename: string | null;
}

export async function ingestTarget(db: Db, messageId: number): Promise<IngestTarget | undefined> {
  const [r] = await db<IngestTarget[]>`
    select m.id, m.conversation_id, c.hotel_id, m.message_type, m.media_key, m.media_source, m.media_filename
    from messages m join conversations c on c.id = m.conversation_id where m.id = ${messageId}`;
  return r;
}

/** Points a message of one conversation at its stored media; the updated message (guest media: no staff name). */
export async function setMessageMedia(
  db: Db,
  { conversationId, id }: { conversationId: number; id: number },
  m: { key: string; contentType: string; filename: string; type: string },
): Promise<StoredMessage | undefined> {
  const [row] = await db<StoredMessage[]>`
    update messages set media_key = ${m.key}, media_content_type = ${m.contentType}, media_filename = ${m.filename},
      message_type = ${m.type}, updated_at = now()
    where id = ${id} and conversation_id = ${conversationId}
    returning *, null::text as staff_name`;
  return row;
}
