// Wire shapes of the directory endpoints: request bodies and queries (typebox). Responses are
// built by transport/presenters/directory.ts.
import { Type } from 'typebox';
import { GUEST_STATUSES, ROOM_STATUSES, STAY_STATUSES, USER_TYPES } from '../../core/directory.js';
import { PageQuery } from './paging.js';

const strict = { additionalProperties: false } as const;
const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {});
const Text = (max: number) => Type.String({ maxLength: max });
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
// Every pattern here must not backtrack: anchored, with bounded quantifiers or with repeated
// classes that the next token cannot also match (test/unit/validation-schemas.test.ts).
const Time = Type.String({ maxLength: 8, pattern: '^([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?$', description: 'HH:MM' });
const DateTime = Type.String({
  maxLength: 40,
  // Years 1900–2999: year 0 passes JavaScript's Date but Postgres refuses it.
  pattern: '^(19|2\\d)\\d{2}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:?\\d{2})?)?$',
  description: 'an ISO 8601 date or date-time such as 2026-03-01 or 2026-03-01T14:00:00Z',
});
// Domain labels cannot contain the dot that separates them, so there is one way to match.
const Email = Type.String({ maxLength: 254, pattern: '^[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+$', description: 'an email address' });
const HotelId = Type.String({ maxLength: 36, pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'a hotel id (uuid)' });
const Department = Type.Union([Type.String({ minLength: 1, maxLength: 40 }), Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 5 })], {
  description: 'one department or a list: Reception, Housekeeping, Room Service, Restaurant, Management',
});

const Link = Type.String({ minLength: 1, maxLength: 500, pattern: '^https?://[^\\s]+$', description: 'an http(s) URL' });

// ───── hotels ─────
const hotelFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Text(5000),
  address: Text(500),
  city: Text(100),
  state: Text(100),
  country: Text(100),
  pincode: Text(10),
  phone: Text(20),
  email: Type.Union([Email, Type.Literal('')]),
  time_zone: Type.String({ minLength: 1, maxLength: 64, description: 'an IANA time zone such as Asia/Kolkata' }),
  check_in_time: Time,
  check_out_time: Time,
  // The onboarding wizard's profile fields ('' clears a link, null a meal time).
  google_review_link: Type.Union([Link, Type.Literal('')]),
  google_map_link: Type.Union([Link, Type.Literal('')]),
  breakfast_time: Type.Union([Time, Type.Null()]),
  lunch_time: Type.Union([Time, Type.Null()]),
  dinner_time: Type.Union([Time, Type.Null()]),
  breakfast_reminder: Type.Boolean(),
  lunch_reminder: Type.Boolean(),
  dinner_reminder: Type.Boolean(),
};
export const HotelCreate = Type.Object(
  {
    ...hotelFields,
    ...Object.fromEntries(Object.entries(hotelFields).filter(([k]) => k !== 'name').map(([k, v]) => [k, Type.Optional(v)])),
    status: Type.Optional(literals(['pending', 'verified', 'suspended', 'rejected'] as const)),
    is_active: Type.Optional(Type.Boolean()),
  },
  strict,
);
export const HotelPatch = Type.Partial(HotelCreate, strict);
export const HotelQuery = Type.Object({ ...PageQuery, search: Type.Optional(Text(100)) }, strict);

// ───── users ─────
export const UserCreate = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 150, pattern: '^[\\w.@+-]+$', description: 'letters, digits and @.+-_' }),
    email: Email,
    password: Type.String({ minLength: 8, maxLength: 256, description: 'at least 8 characters' }),
    first_name: Type.Optional(Text(150)),
    last_name: Type.Optional(Text(150)),
    phone_number: Type.Optional(Text(20)),
    user_type: literals(USER_TYPES),
    department: Type.Optional(Department),
    hotel_id: Type.Optional(HotelId),
  },
  strict,
);
export const UserPatch = Type.Object(
  {
    username: Type.Optional(UserCreate.properties.username),
    email: Type.Optional(Email),
    password: Type.Optional(UserCreate.properties.password),
    first_name: Type.Optional(Text(150)),
    last_name: Type.Optional(Text(150)),
    phone_number: Type.Optional(Text(20)),
    user_type: Type.Optional(literals(USER_TYPES)),
    department: Type.Optional(Department),
    is_active: Type.Optional(Type.Boolean()),
    is_active_hotel_user: Type.Optional(Type.Boolean({ description: 'the same flag as is_active (the dashboard\'s staff page sends this name)' })),
  },
  strict,
);
export const UserQuery = Type.Object(
  { ...PageQuery, user_type: Type.Optional(literals(USER_TYPES)), search: Type.Optional(Text(100)), hotel: Type.Optional(Type.String({ maxLength: 36 })) },
  strict,
);

// ───── rooms ─────
export const RoomCreate = Type.Object(
  {
    room_number: Type.String({ minLength: 1, maxLength: 25 }),
    floor: Type.Integer({ minimum: -10, maximum: 300 }),
    status: Type.Optional(literals(ROOM_STATUSES)),
    hotel_id: Type.Optional(HotelId),
  },
  strict,
);
export const RoomPatch = Type.Partial(Type.Omit(RoomCreate, ['hotel_id']), strict);
export const RoomQuery = Type.Object(
  {
    ...PageQuery,
    floor: Type.Optional(RoomCreate.properties.floor),
    status: Type.Optional(literals(ROOM_STATUSES)),
    search: Type.Optional(Type.String({ maxLength: 25, description: 'part of a room number' })),
    hotel: Type.Optional(Type.String({ maxLength: 36 })),
  },
  strict,
);
export const RoomFloorsQuery = Type.Object({ hotel: Type.Optional(Type.String({ maxLength: 36 })) }, strict);

// ───── guests ─────
export const GuestCreate = Type.Object(
  {
    whatsapp_number: Type.String({ minLength: 5, maxLength: 32, description: 'a phone number in international form' }),
    full_name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Type.Union([Email, Type.Literal('')])),
    nationality: Type.Optional(Text(100)),
    hotel_id: Type.Optional(HotelId),
  },
  strict,
);
export const GuestPatch = Type.Partial(Type.Omit(GuestCreate, ['hotel_id']), strict);
export const GuestQuery = Type.Object({ ...PageQuery, search: Type.Optional(Text(100)), status: Type.Optional(literals(GUEST_STATUSES)) }, strict);

// ───── stays ─────
export const StayCreate = Type.Object(
  {
    guest_id: Type.Optional(Id),
    guest: Type.Optional(Type.Omit(GuestCreate, ['hotel_id'], strict)),
    room_id: Type.Optional(Type.Union([Id, Type.Null()])),
    check_in_date: Type.Optional(DateTime),
    check_out_date: Type.Optional(DateTime),
    number_of_guests: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    hotel_id: Type.Optional(HotelId),
  },
  strict,
);
export const StayPatch = Type.Object(
  {
    room_id: Type.Optional(Type.Union([Id, Type.Null()])),
    check_in_date: Type.Optional(DateTime),
    check_out_date: Type.Optional(DateTime),
    number_of_guests: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  },
  strict,
);
export const CheckInBody = Type.Object({ room_id: Type.Optional(Id) }, strict);
export const EmptyBody = Type.Object({}, strict);
export const StayQuery = Type.Object({ ...PageQuery, status: Type.Optional(literals(STAY_STATUSES)), guest: Type.Optional(Id) }, strict);

// ───── notifications ─────
export const NotificationQuery = Type.Object({ ...PageQuery, unread: Type.Optional(Type.Boolean()) }, strict);

