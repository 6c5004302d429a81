-- Media objects in storage (S3 or local disk): who uploaded what for which conversation, and which
-- message uses it. Unreferenced uploads and media of archived conversations are removed by cron.
create table media_objects (
  key             text primary key,
  hotel_id        uuid not null references hotels (id) on delete cascade,
  conversation_id bigint references conversations (id) on delete set null,
  uploaded_by     bigint references users (id) on delete set null,
  filename        text not null,
  content_type    text not null,
  size            bigint not null check (size >= 0),
  thumbnail_key   text,
  message_id      bigint references messages (id) on delete set null,
  created_at      timestamptz not null default now()
);
create index media_objects_orphans_idx on media_objects (created_at) where message_id is null;
create index media_objects_conversation_idx on media_objects (conversation_id);

-- Where a provider's media comes from until it is copied into our storage (a URL or a media id).
alter table messages add column media_source text;
