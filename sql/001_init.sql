-- Lobbybee Realtime schema: directory (hotels, staff, rooms, guests, stays), chat (conversations,
-- messages with a per-conversation seq, per-staff read state) and operations (tokens, presence,
-- cron claims, dead-lettered jobs).

-- ───────────── directory ─────────────

create table hotels (
  id             uuid primary key default gen_random_uuid(),
  name           text not null check (length(name) between 1 and 200),
  description    text not null default '',
  address        text not null default '',
  city           text not null default '',
  state          text not null default '',
  country        text not null default '',
  pincode        text not null default '',
  phone          text not null default '',
  email          text not null default '',
  time_zone      text not null default 'UTC',
  check_in_time  time not null default '14:00',
  check_out_time time not null default '11:00',
  status         text not null default 'pending' check (status in ('pending', 'verified', 'suspended', 'rejected')),
  is_active      boolean not null default true,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);

create table users (
  id            bigint generated always as identity primary key,
  username      text not null check (length(username) between 1 and 150),
  email         text not null check (position('@' in email) > 1),
  password_hash text not null,
  first_name    text not null default '',
  last_name     text not null default '',
  phone_number  text not null default '',
  user_type     text not null check (user_type in
                  ('platform_admin', 'hotel_admin', 'manager', 'receptionist', 'department_staff', 'other_staff')),
  hotel_id      uuid references hotels (id) on delete cascade,
  departments   text[] not null default '{}'
                  check (departments <@ array['Reception', 'Housekeeping', 'Room Service', 'Restaurant', 'Management']),
  is_active     boolean not null default true,
  created_by    bigint references users (id) on delete set null,
  last_login_at timestamptz,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  -- platform admins belong to no hotel; everyone else belongs to exactly one
  constraint users_hotel_matches_type check ((user_type = 'platform_admin') = (hotel_id is null))
);
create unique index users_username_key on users (lower(username));
create unique index users_email_key on users (lower(email));
create index users_hotel_idx on users (hotel_id, user_type);

create table rooms (
  id          bigint generated always as identity primary key,
  hotel_id    uuid not null references hotels (id) on delete cascade,
  room_number text not null check (length(room_number) between 1 and 25),
  floor       integer not null default 0,
  status      text not null default 'available'
                check (status in ('available', 'occupied', 'cleaning', 'maintenance', 'out_of_order')),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint rooms_number_per_hotel unique (hotel_id, room_number)
);
create index rooms_hotel_floor_idx on rooms (hotel_id, floor);
create index rooms_hotel_status_idx on rooms (hotel_id, status);

-- A guest of one hotel, known by their WhatsApp number (E.164). Each hotel keeps its own record:
-- the same person at two hotels is two rows, so no hotel sees what another recorded. A provider
-- webhook carries only the number; it is routed to the row with the current stay.
create table guests (
  id              bigint generated always as identity primary key,
  hotel_id        uuid not null references hotels (id) on delete cascade,
  whatsapp_number text not null check (whatsapp_number ~ '^\+[1-9][0-9]{6,14}$'),
  full_name       text not null default '',
  email           text not null default '',
  nationality     text not null default '',
  status          text not null default 'pending_checkin' check (status in ('pending_checkin', 'checked_in', 'checked_out')),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint guests_number_per_hotel unique (hotel_id, whatsapp_number)
);
create index guests_number_idx on guests (whatsapp_number);

create table stays (
  id               bigint generated always as identity primary key,
  hotel_id         uuid not null references hotels (id) on delete cascade,
  guest_id         bigint not null references guests (id) on delete cascade,
  room_id          bigint references rooms (id) on delete set null,
  status           text not null default 'pending' check (status in ('pending', 'active', 'completed', 'cancelled')),
  check_in_date    timestamptz,
  check_out_date   timestamptz,
  actual_check_in  timestamptz,
  actual_check_out timestamptz,
  number_of_guests integer not null default 1 check (number_of_guests between 1 and 50),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint stays_dates_ordered check (check_out_date is null or check_in_date is null or check_out_date >= check_in_date)
);
create index stays_guest_status_idx on stays (guest_id, status);
create index stays_hotel_status_idx on stays (hotel_id, status);
-- one active stay per room at a time
create unique index stays_one_active_per_room on stays (room_id) where status = 'active' and room_id is not null;

-- ───────────── chat ─────────────

create table conversations (
  id                    bigint generated always as identity primary key,
  hotel_id              uuid not null references hotels (id) on delete cascade,
  guest_id              bigint not null references guests (id) on delete cascade,
  department            text not null check (department in ('Reception', 'Housekeeping', 'Room Service', 'Restaurant', 'Management')),
  conversation_type     text not null check (conversation_type in ('service', 'demo', 'checkin', 'checked_in', 'general')),
  status                text not null default 'active' check (status in ('active', 'closed', 'archived')),
  -- the serialization point for message order: bumped in the same statement that inserts
  last_seq              bigint not null default 0,
  last_message_at       timestamptz,
  last_message_preview  text not null default '',
  last_guest_message_at timestamptz,
  is_request_fulfilled  boolean,
  closed_at             timestamptz,
  closed_by             bigint references users (id) on delete set null,
  archived_at           timestamptz,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now()
) with (fillfactor = 80);
-- Every message updates its conversation row (seq, last_message_at, preview). No index covers
-- those columns and pages keep free space, so these updates are HOT: no index writes at all.
-- at most one active conversation per guest, hotel, department and type
create unique index conversations_one_active on conversations (guest_id, hotel_id, department, conversation_type)
  where status = 'active';
create index conversations_list_idx on conversations (hotel_id, department, status);
create index conversations_guest_idx on conversations (guest_id, status);
create index conversations_closed_idx on conversations (closed_at) where status = 'closed';

create table messages (
  id                  bigint generated always as identity primary key,
  conversation_id     bigint not null references conversations (id) on delete cascade,
  seq                 bigint not null check (seq > 0),
  sender_type         text not null check (sender_type in ('guest', 'staff', 'system')),
  sender_id           bigint references users (id) on delete set null,
  message_type        text not null check (message_type in ('text', 'image', 'document', 'video', 'audio', 'system')),
  content             text not null,
  media_key           text,
  media_url           text,
  media_filename      text,
  media_content_type  text,
  provider_message_id text,
  -- outbound (staff → guest) delivery through the provider; only ever moves forward
  delivery_status     text check (delivery_status in ('queued', 'sent', 'delivered', 'read', 'failed')),
  delivery_error      text,
  -- guest message: first time any staff member read it; staff message: when the guest read it
  read_at             timestamptz,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  constraint messages_seq_per_conversation unique (conversation_id, seq)
);
create unique index messages_provider_message_id on messages (provider_message_id) where provider_message_id is not null;

-- Idempotency of provider webhooks: the first copy claims its provider id here, in the same
-- statement that numbers and inserts the message, so a duplicate never consumes a seq.
create table inbound_receipts (
  provider_message_id  text primary key,
  conversation_id      bigint not null references conversations (id) on delete cascade,
  conversation_created boolean not null,
  received_at          timestamptz not null default now()
);

-- Per staff member read state: everything up to last_read_seq is read, plus read_seqs above it.
create table conversation_participants (
  conversation_id bigint not null references conversations (id) on delete cascade,
  staff_id        bigint not null references users (id) on delete cascade,
  is_active       boolean not null default true,
  last_read_seq   bigint not null default 0,
  read_seqs       bigint[] not null default '{}',
  last_read_at    timestamptz,
  joined_at       timestamptz not null default now(),
  primary key (conversation_id, staff_id)
);
create index conversation_participants_staff_idx on conversation_participants (staff_id, is_active);

create table notifications (
  id         bigint generated always as identity primary key,
  user_id    bigint not null references users (id) on delete cascade,
  hotel_id   uuid references hotels (id) on delete cascade,
  type       text not null default 'info',
  title      text not null,
  message    text not null default '',
  link       text not null default '',
  link_label text not null default '',
  is_read    boolean not null default false,
  created_at timestamptz not null default now()
);
create index notifications_user_idx on notifications (user_id, created_at desc);

-- ───────────── auth ─────────────

create table refresh_tokens (
  jti         uuid primary key,
  user_id     bigint not null references users (id) on delete cascade,
  family      uuid not null,
  expires_at  timestamptz not null,
  revoked_at  timestamptz,
  replaced_by uuid,
  created_at  timestamptz not null default now()
);
create index refresh_tokens_user_idx on refresh_tokens (user_id);
create index refresh_tokens_family_idx on refresh_tokens (family);

-- failed logins per account and per client IP (shared by all nodes)
create table login_throttle (
  key           text primary key,
  failures      integer not null default 0,
  blocked_until timestamptz,
  updated_at    timestamptz not null default now()
);

-- ───────────── operations ─────────────

-- Which node has sockets of which staff member in which department; rows of a node that died
-- expire with its heartbeat (seen_at).
create table presence (
  node_id    text not null,
  user_id    bigint not null references users (id) on delete cascade,
  hotel_id   uuid not null references hotels (id) on delete cascade,
  department text not null,
  seen_at    timestamptz not null default now(),
  primary key (node_id, user_id, department)
);
create index presence_user_idx on presence (user_id, department);
create index presence_seen_idx on presence (seen_at);

-- One row per cron tick: whichever node inserts it runs that tick.
create table cron_runs (
  key         text primary key,
  node_id     text not null,
  started_at  timestamptz not null default now(),
  finished_at timestamptz
);

create table job_dead_letters (
  id         bigint generated always as identity primary key,
  kind       text not null,
  job_id     text not null,
  payload    jsonb not null,
  deliveries integer not null,
  reason     text not null,
  failed_at  timestamptz not null default now()
);
create index job_dead_letters_kind_idx on job_dead_letters (kind, failed_at desc);

-- Jobs whose side effect has happened, so a redelivered job does its work once.
create table job_done (
  job_id  text primary key,
  kind    text not null,
  done_at timestamptz not null default now()
);

-- Durable work triggered by a message (reply-system hand-off, outbound WhatsApp send), written in
-- the same statement as the message and relayed to the job queue afterwards: nothing is lost
-- between the commit and the enqueue.
create table outbox (
  id         bigint generated always as identity primary key,
  kind       text not null,
  message_id bigint not null references messages (id) on delete cascade,
  created_at timestamptz not null default now()
);
