-- The dashboard's message-templates page: global templates (platform-wide, written by platform
-- administrators) and each hotel's custom templates, text with {{variable}} placeholders, as the
-- original system kept them (chat.MessageTemplate and chat.CustomMessageTemplate).
create table message_templates (
  id              bigint generated always as identity primary key,
  name            text not null check (length(name) between 1 and 100),
  template_type   text not null default 'general'
                  check (template_type in ('greeting', 'checkin', 'service', 'farewell', 'emergency', 'promotion', 'general')),
  text_content    text not null check (length(text_content) <= 4096),
  -- an image we store (uploaded with the template), or an outside link
  media_key       text check (media_key is null or length(media_key) <= 512),
  media_url       text check (media_url is null or length(media_url) <= 2048),
  media_filename  text check (media_filename is null or length(media_filename) <= 255),
  is_customizable boolean not null default true,
  is_active       boolean not null default true,
  variables       jsonb not null default '[]',
  description     text not null default '' check (length(description) <= 2000),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create unique index message_templates_name_key on message_templates (name);
create index message_templates_type_idx on message_templates (template_type, is_active);

create table custom_message_templates (
  id              bigint generated always as identity primary key,
  hotel_id        uuid not null references hotels (id) on delete cascade,
  base_template   bigint references message_templates (id) on delete set null,
  name            text not null check (length(name) between 1 and 100),
  template_type   text not null default 'general'
                  check (template_type in ('greeting', 'checkin', 'service', 'farewell', 'emergency', 'promotion', 'general')),
  text_content    text not null check (length(text_content) <= 4096),
  -- an image we store (uploaded with the template), or an outside link
  media_key       text check (media_key is null or length(media_key) <= 512),
  media_url       text check (media_url is null or length(media_url) <= 2048),
  media_filename  text check (media_filename is null or length(media_filename) <= 255),
  is_customizable boolean not null default true,
  is_active       boolean not null default true,
  variables       jsonb not null default '[]',
  description     text not null default '' check (length(description) <= 2000),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint custom_message_templates_name_per_hotel unique (hotel_id, name)
);
create index custom_message_templates_hotel_idx on custom_message_templates (hotel_id, template_type, is_active);

-- The global templates the original system seeded and its code looks up by name.
insert into message_templates (name, template_type, text_content, variables, description) values
  ('lobbybee_hotel_welcome', 'checkin', 'Welcome to {{hotel_name}}, {{guest_name}}! Your room is {{room_number}}. Wi-Fi: {{wifi_name}} / {{wifi_password}}.',
   '["hotel_name","guest_name","room_number","wifi_name","wifi_password"]', 'Sent when a check-in is verified'),
  ('lobbybee_checkout_thank_you', 'farewell', 'Thank you for staying at {{hotel_name}}, {{guest_name}}. We hope to see you again!',
   '["hotel_name","guest_name"]', 'Sent when the last stay of a guest ends'),
  ('lobbybee_breakfast_reminder', 'service', 'Good morning {{guest_name}}! Breakfast is served from {{breakfast_time}}.',
   '["guest_name","breakfast_time"]', 'Breakfast reminder inside the 24-hour window'),
  ('lobbybee_lunch_reminder', 'service', 'Hello {{guest_name}}, lunch is served from {{lunch_time}}.',
   '["guest_name","lunch_time"]', 'Lunch reminder inside the 24-hour window'),
  ('lobbybee_dinner_reminder', 'service', 'Good evening {{guest_name}}, dinner is served from {{dinner_time}}.',
   '["guest_name","dinner_time"]', 'Dinner reminder inside the 24-hour window'),
  ('lobbybee_checkout_reminder', 'service', 'Hello {{guest_name}}, your check-out from room {{room_number}} is at {{checkout_time}}.',
   '["guest_name","room_number","checkout_time"]', 'Check-out reminder');
