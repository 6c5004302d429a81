-- Channels: the provider accounts / phone numbers guests write to, each owned by one hotel. The
-- channel an inbound message arrived on decides its hotel; a guest record (which any hotel can
-- create for any number) never does. `external_id` is the name the provider gives the channel:
-- the relay's account or number for 'relay', Meta's phone_number_id for 'whatsapp_cloud'.
create table channels (
  id                   bigint generated always as identity primary key,
  hotel_id             uuid not null references hotels (id) on delete cascade,
  provider             text not null check (provider in ('relay', 'whatsapp_cloud')),
  external_id          text not null check (length(external_id) between 1 and 128),
  display_phone_number text not null default '',
  is_active            boolean not null default true,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  -- one provider name maps to exactly one hotel
  constraint channels_external_id_per_provider unique (provider, external_id)
);
create index channels_hotel_idx on channels (hotel_id);
