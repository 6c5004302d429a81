-- Outbound WhatsApp with Meta's rules: approved message templates synced from each channel's
-- Business Account, and the template a staff message was sent as.

-- Templates as Meta lists them (GET /<waba>/message_templates), one row per channel, name and
-- language. A sync replaces the rows of its channel: templates Meta no longer lists are removed.
create table whatsapp_templates (
  id           bigint generated always as identity primary key,
  hotel_id     uuid not null references hotels (id) on delete cascade,
  channel_id   bigint not null references channels (id) on delete cascade,
  meta_id      text not null default '' check (length(meta_id) <= 64),
  name         text not null check (length(name) between 1 and 512),
  language     text not null check (length(language) between 1 and 16),
  status       text not null check (length(status) between 1 and 32),
  category     text not null default '' check (length(category) <= 32),
  components   jsonb not null default '[]',
  -- the body text with its {{n}} placeholders, and how many distinct ones it has
  body_text    text not null default '',
  param_count  integer not null default 0 check (param_count between 0 and 100),
  synced_at    timestamptz not null default now(),
  constraint whatsapp_templates_per_channel unique (channel_id, name, language)
);
create index whatsapp_templates_hotel_idx on whatsapp_templates (hotel_id, status, name);

-- A staff message sent as a template: {template_id, name, language, parameters}. Its content is
-- the rendered body, message_type stays 'text' (what the dashboard shows); the send job builds
-- Meta's template payload from this column and skips the 24-hour window check (templates are
-- what may be sent outside it).
alter table messages add column template jsonb;

-- The window check reads the guest's conversations (last_guest_message_at per channel).
create index conversations_guest_channel_idx on conversations (guest_id, channel_id);
