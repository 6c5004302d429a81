-- A staff attachment marks its upload as used in the statement that stores the message, not in a
-- second statement after the commit: a message that references an upload and the upload's
-- message_id (what keeps the orphan sweep away from it) are written together or not at all.
-- Only the first message to use an upload claims it, and only an upload of the message's own
-- conversation (the command layer already refused any other; this keeps the database honest).
create function media_objects_claim() returns trigger language plpgsql as $$
begin
  update media_objects set message_id = new.id
  where key = new.media_key and message_id is null and conversation_id = new.conversation_id;
  return null;
end $$;

create trigger messages_claim_media after insert on messages
  for each row when (new.media_key is not null)
  execute function media_objects_claim();
