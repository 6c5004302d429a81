-- Dead letters an operator acted on from the console: retried (enqueued again) or discarded.
-- Kept, not deleted, so the record of what failed and who acted stays. hotel_id is the hotel a
-- job's payload names (inbound webhooks carry it), for the hotel-scoped view.
alter table job_dead_letters
  add column hotel_id    text generated always as (payload ->> 'hotel_id') stored,
  add column resolved_at timestamptz,
  add column resolution  text check (resolution in ('retried', 'discarded')),
  add column resolved_by bigint references users (id) on delete set null;
create index job_dead_letters_open_idx on job_dead_letters (failed_at desc) where resolved_at is null;
