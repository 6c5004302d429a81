-- Hotel profile fields the dashboard's onboarding wizard and settings page send and read back:
-- review and map links, and the meal times with their guest-reminder switches.
-- Links are '' when unset (like the other text fields); a meal time is null until the hotel sets it.
alter table hotels
  add column google_review_link text not null default '' check (length(google_review_link) <= 500),
  add column google_map_link    text not null default '' check (length(google_map_link) <= 500),
  add column breakfast_time     time,
  add column lunch_time         time,
  add column dinner_time        time,
  add column breakfast_reminder boolean not null default false,
  add column lunch_reminder     boolean not null default false,
  add column dinner_reminder    boolean not null default false;
