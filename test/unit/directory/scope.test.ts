// Issue 3 — hotel scoping helpers: path ids, list scope and write scope.
import t from 'tap';
import type { User, UserType } from '../../../src/core/directory.js';
import { isUuid, listScope, parseId, writeScope } from '../../../src/directory/scope.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../../src/core/errors.js';
import { requireRole } from '../../../src/directory/scope.js';

const HOTEL = '0b0e4a7e-6f7a-4c59-9a1e-2a0d8e9c1f00';
const OTHER = '5d1c8f3e-2b4a-4e6f-8a9b-0c1d2e3f4a5b';
const user = (user_type: UserType, hotel_id: string | null = HOTEL) => ({ user_type, hotel_id }) as User;

t.test('parseId: only positive safe integers; anything else is a 404', async (t) => {
  t.equal(parseId('1', 'Room'), 1);
  t.equal(parseId('42', 'Room'), 42);
  t.equal(parseId('900719925474099', 'Room'), 900719925474099);
  for (const bad of ['0', '-1', 'abc', '1.5', '1e3', '', ' 1', '0x10', '9999999999999999', '99999999999999999999']) {
    t.throws(() => parseId(bad, 'Room'), NotFoundError, JSON.stringify(bad));
  }
  try {
    parseId('x', 'Stay');
  } catch (e) {
    t.equal((e as Error).message, 'Stay not found');
  }
});

t.test('isUuid', async (t) => {
  t.ok(isUuid(HOTEL));
  t.ok(isUuid(HOTEL.toUpperCase()));
  for (const bad of ['', 'abc', `${HOTEL}x`, HOTEL.slice(1), HOTEL.replace(/-/g, '')]) t.notOk(isUuid(bad), bad);
});

t.test('listScope', async (t) => {
  t.equal(listScope(user('platform_admin', null)), null, 'platform admins see every hotel');
  t.equal(listScope(user('platform_admin', null), OTHER), OTHER, 'or the one they ask for');
  t.throws(() => listScope(user('platform_admin', null), 'nope'), ValidationError);
  for (const type of ['hotel_admin', 'manager', 'receptionist', 'department_staff', 'other_staff'] as const) {
    t.equal(listScope(user(type)), HOTEL, `${type}: own hotel`);
    t.equal(listScope(user(type), OTHER), HOTEL, `${type}: asking for another hotel changes nothing`);
  }
});

t.test('writeScope', async (t) => {
  t.equal(writeScope(user('platform_admin', null), OTHER), OTHER);
  t.throws(() => writeScope(user('platform_admin', null)), ValidationError, 'platform admins must name the hotel');
  t.equal(writeScope(user('manager')), HOTEL);
  t.equal(writeScope(user('manager'), HOTEL), HOTEL, 'naming their own hotel is fine');
  t.throws(() => writeScope(user('manager'), OTHER), ValidationError, 'another hotel is refused');
});

t.test('requireRole', async (t) => {
  t.doesNotThrow(() => requireRole(true, 'x'));
  t.throws(() => requireRole(false, 'manage rooms'), ForbiddenError);
  try {
    requireRole(false, 'manage rooms');
  } catch (e) {
    t.equal((e as ForbiddenError).status, 403);
    t.match((e as Error).message, /manage rooms/);
  }
});
