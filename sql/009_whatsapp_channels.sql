-- WhatsApp Cloud API channels: the Business Account a number belongs to and the three secrets a
-- hotel admin gives us. The app secret signs Meta's webhook deliveries (X-Hub-Signature-256), the
-- verify token answers Meta's subscription handshake and the access token authorises sends and
-- media downloads. They are write-only through the API: read by the webhook and send paths only.
alter table channels
  add column waba_id      text not null default '' check (length(waba_id) <= 64),
  add column app_secret   text check (app_secret is null or length(app_secret) between 1 and 256),
  add column verify_token text check (verify_token is null or length(verify_token) between 1 and 256),
  add column access_token text check (access_token is null or length(access_token) between 1 and 4096);

-- The handshake names only the verify token, the deliveries only a phone_number_id (external_id).
create index channels_verify_token_idx on channels (verify_token) where verify_token is not null;

-- The channel a conversation's guest last wrote on: replies go out from that number. Null for
-- conversations that began before channels existed or on a relay (the legacy sender is used).
alter table conversations add column channel_id bigint references channels (id) on delete set null;
