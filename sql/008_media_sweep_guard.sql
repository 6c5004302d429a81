-- The orphan sweep never deletes an object a message references.
--  * It asks "does any message point at this key?" (not only "did one claim it?"): the index
--    below makes that a lookup, and also serves dropMediaObject's update.
--  * It deletes the object's row (if still unused) before its bytes. A message inserted after that
--    delete committed would point at bytes about to go: the claim trigger now refuses such an
--    insert (an upload key with no row any more), with an integrity error the group commit
--    isolates to that one message.
create index messages_media_key_idx on messages (media_key) where media_key is not null;

create or replace function media_objects_claim() returns trigger language plpgsql as $$
begin
  update media_objects set message_id = new.id
  where key = new.media_key and message_id is null and conversation_id = new.conversation_id;
  if not found and not exists (select 1 from media_objects where key = new.media_key) then
    raise exception 'media object % no longer exists', new.media_key using errcode = 'foreign_key_violation';
  end if;
  return null;
end $$;
