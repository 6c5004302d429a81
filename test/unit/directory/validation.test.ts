// Issue 3 — the directory's typebox schemas: every bad field named (nested ones with a dotted
// path), unknown fields refused, and query strings converted and checked.
import t from 'tap';
import { parseId } from '../../../src/directory/scope.js';
import { NotFoundError, ValidationError } from '../../../src/core/errors.js';
import { LoginBody, RefreshBody } from '../../../src/protocol/rest/auth.js';
import { GuestCreate, HotelCreate, HotelPatch, RoomQuery, StayCreate, UserCreate, UserPatch } from '../../../src/protocol/rest/directory.js';
import { pageBody, pageParams } from '../../../src/protocol/rest/paging.js';
import { problems, validate } from '../../../src/protocol/validate.js';

const names = (schema: Parameters<typeof problems>[0], value: unknown) => Object.keys(problems(schema, value)).sort();

t.test('login and refresh bodies', async (t) => {
  t.same(names(LoginBody, {}), ['password', 'username']);
  t.same(names(LoginBody, { username: 'a', password: 'b', otp: '1' }), ['otp']);
  t.same(names(RefreshBody, { refresh: '' }), ['refresh']);
  t.same(problems(LoginBody, { username: 'a' }), { password: 'is required' });
  t.same(problems(LoginBody, { username: 'a', password: 'b', x: 1 }), { x: 'is not a known field' });
});

t.test('user bodies', async (t) => {
  t.same(names(UserCreate, { username: 'bad name', email: 'x', password: 'short', user_type: 'boss', department: 5, hotel_id: 'h', extra: 1 }), [
    'department', 'email', 'extra', 'hotel_id', 'password', 'user_type', 'username',
  ]);
  t.match(problems(UserCreate, { username: 'a', email: 'a@b.co', password: 'long-enough', user_type: 'boss' })['user_type'], /platform_admin/, 'lists the user types');
  t.same(names(UserCreate, { username: 'a', email: 'a@b.co', password: 'long-enough', user_type: 'manager', department: ['Reception', 'Housekeeping'] }), []);
  t.same(names(UserPatch, { hotel_id: '0b0e4a7e-6f7a-4c59-9a1e-2a0d8e9c1f00' }), ['hotel_id'], 'hotel_id cannot be patched');
  t.same(names(UserPatch, {}), [], 'an empty patch is valid');
});

t.test('hotel, guest and stay bodies', async (t) => {
  t.same(names(HotelCreate, {}), ['name']);
  t.same(names(HotelCreate, { name: 'H', check_in_time: '24:00', check_out_time: '11:00:00', email: '' }), ['check_in_time']);
  t.same(names(HotelPatch, { nope: 1 }), ['nope']);
  t.same(names(GuestCreate, { whatsapp_number: '1', full_name: '' }), ['full_name', 'whatsapp_number']);
  t.same(names(StayCreate, { guest: { whatsapp_number: '+442079460958', full_name: 'X', age: 3 } }), ['guest.age'], 'nested unknown field');
  t.same(names(StayCreate, { guest: { whatsapp_number: '+442079460958' } }), ['guest.full_name'], 'nested missing field');
  t.same(names(StayCreate, { room_id: null }), [], 'room_id may be null');
  t.same(names(StayCreate, { room_id: 0, number_of_guests: 0 }), ['number_of_guests', 'room_id']);
});

t.test('validate throws a ValidationError with every field', async (t) => {
  try {
    validate(LoginBody, { x: 1 });
    t.fail('should throw');
  } catch (e) {
    t.type(e, ValidationError);
    t.equal((e as ValidationError).status, 400);
    t.same(Object.keys((e as ValidationError).fields).sort(), ['password', 'username', 'x']);
  }
  t.throws(() => validate(LoginBody, null), ValidationError, 'null body');
  t.throws(() => validate(LoginBody, []), ValidationError, 'array body');
});

t.test('paging helpers', async (t) => {
  t.same(pageParams({}), { page: 1, size: 20, limit: 20, offset: 0 });
  t.same(pageParams({ page: 3, page_size: 10 }), { page: 3, size: 10, limit: 10, offset: 20 });
  const url = new URL('http://h/api/rooms/?floor=2&page=2&page_size=2');
  const mid = pageBody(url, pageParams({ page: 2, page_size: 2 }), 5, ['c', 'd']);
  t.equal(mid.count, 5);
  t.equal(new URL(mid.next!).searchParams.get('page'), '3');
  t.equal(new URL(mid.next!).searchParams.get('floor'), '2');
  t.equal(new URL(mid.previous!).searchParams.get('page'), '1');
  const last = pageBody(new URL('http://h/api/rooms/'), pageParams({ page: 3, page_size: 2 }), 5, ['e']);
  t.equal(last.next, null);
  const only = pageBody(new URL('http://h/api/rooms/'), pageParams({}), 0, []);
  t.same(only, { count: 0, next: null, previous: null, results: [] });
  t.same(names(RoomQuery, { page_size: 101 }), ['page_size']);
});

t.test('path ids: digits within the safe range, anything else cannot exist (404)', async (t) => {
  t.equal(parseId('42', 'Room'), 42);
  t.equal(parseId('999999999999999', 'Room'), 999_999_999_999_999);
  for (const bad of ['0', '-1', '1e20', '1.5', '0x10', ' 7', '', '9'.repeat(16), '1'.repeat(400), '7\u0000', '\ud83d']) {
    t.throws(() => parseId(bad, 'Room'), NotFoundError, JSON.stringify(bad));
  }
});
