-- Guest messages held until the guest picks a department. A checked-in guest who writes without
-- an active conversation gets the department menu; what they wrote waits here and is stored in
-- the conversation their choice opens, before the choice itself (so staff see it first). The
-- wamid keys the row: a replayed delivery holds nothing twice, and a message already stored in a
-- conversation (inbound_receipts) is never held again.
create table whatsapp_held_messages (
  wamid       text primary key check (length(wamid) between 1 and 256),
  hotel_id    uuid not null references hotels (id) on delete cascade,
  guest_id    bigint not null references guests (id) on delete cascade,
  channel_id  bigint references channels (id) on delete set null,
  item        jsonb not null,
  received_at timestamptz not null default now()
);
create index whatsapp_held_guest_idx on whatsapp_held_messages (guest_id, hotel_id, received_at);
