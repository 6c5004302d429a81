-- Sessions that end before their tokens expire.
--
-- token_version is copied into every access token (claim "ver"); ending all of a user's sessions
-- (a new password, an admin reset, deactivation) increments it, so every access token issued
-- before stops working at once, whatever its iat (which only has one-second resolution).
alter table users add column token_version integer not null default 0;

-- A logout ends one session: the refresh-token family of that login. Access tokens name their
-- family (claim "sid") and are refused while it is listed here; a row is kept for as long as an
-- access token of that family could still be presented.
create table ended_sessions (
  family     uuid primary key,
  user_id    bigint not null references users (id) on delete cascade,
  ended_at   timestamptz not null default now(),
  expires_at timestamptz not null
);
create index ended_sessions_user_idx on ended_sessions (user_id, expires_at);

-- The throttle now counts per (account, client IP) and per client IP; the old per-name keys
-- mean nothing any more.
delete from login_throttle;
