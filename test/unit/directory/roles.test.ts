// Issue 3 — who may do what (src/directory/roles.ts), as tables.
import t from 'tap';
import { DEPARTMENTS } from '../../../src/core/departments.js';
import { USER_TYPES, type UserType } from '../../../src/core/directory.js';
import {
  canAssignUserType,
  canManageGuests,
  canManageHotel,
  defaultDepartments,
  effectiveDepartments,
  isChatStaff,
  isPlatformAdmin,
} from '../../../src/directory/roles.js';

const u = (user_type: UserType) => ({ user_type });

t.test('who manages what', async (t) => {
  const table: Record<UserType, { hotel: boolean; guests: boolean; chat: boolean; platform: boolean }> = {
    platform_admin: { hotel: true, guests: true, chat: false, platform: true },
    hotel_admin: { hotel: true, guests: true, chat: true, platform: false },
    manager: { hotel: true, guests: true, chat: true, platform: false },
    receptionist: { hotel: false, guests: true, chat: true, platform: false },
    department_staff: { hotel: false, guests: false, chat: true, platform: false },
    other_staff: { hotel: false, guests: false, chat: false, platform: false },
  };
  for (const type of USER_TYPES) {
    t.equal(canManageHotel(u(type)), table[type].hotel, `${type}: manages rooms/staff/profile`);
    t.equal(canManageGuests(u(type)), table[type].guests, `${type}: manages guests and stays`);
    t.equal(isChatStaff(u(type)), table[type].chat, `${type}: chats`);
    t.equal(isPlatformAdmin(u(type)), table[type].platform, `${type}: platform admin`);
  }
});

t.test('which user types each role may create or assign', async (t) => {
  // rows: actor; columns: target, in USER_TYPES order
  // platform_admin, hotel_admin, manager, receptionist, department_staff, other_staff
  const Y = true;
  const N = false;
  const table: Record<UserType, boolean[]> = {
    platform_admin: [Y, Y, Y, Y, Y, Y],
    hotel_admin: [N, Y, Y, Y, Y, Y],
    manager: [N, N, N, Y, Y, Y],
    receptionist: [N, N, N, N, N, N],
    department_staff: [N, N, N, N, N, N],
    other_staff: [N, N, N, N, N, N],
  };
  for (const actor of USER_TYPES) {
    USER_TYPES.forEach((target, i) => {
      t.equal(canAssignUserType(u(actor), target), table[actor][i], `${actor} → ${target}`);
    });
  }
});

t.test('departments', async (t) => {
  t.same(defaultDepartments('receptionist'), ['Reception']);
  t.same(defaultDepartments('manager'), ['Management']);
  t.same(defaultDepartments('hotel_admin'), ['Management']);
  t.same(defaultDepartments('department_staff'), []);
  t.same(defaultDepartments('other_staff'), []);
  t.same(effectiveDepartments({ user_type: 'hotel_admin', departments: ['Management'] }), [...DEPARTMENTS], 'admins see every department');
  t.same(effectiveDepartments({ user_type: 'manager', departments: [] }), [...DEPARTMENTS], 'managers too');
  t.same(effectiveDepartments({ user_type: 'receptionist', departments: ['Reception'] }), ['Reception']);
  t.same(effectiveDepartments({ user_type: 'department_staff', departments: ['Housekeeping', 'Restaurant'] }), ['Housekeeping', 'Restaurant']);
  const d = defaultDepartments('receptionist');
  d.push('Management');
  t.same(defaultDepartments('receptionist'), ['Reception'], 'defaults are fresh arrays');
});
