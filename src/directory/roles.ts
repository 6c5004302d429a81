// Who may do what in the directory. Pure rules; every query is additionally scoped to the
// caller's hotel by the services (another hotel's object is a 404).
import { DEPARTMENTS, type Department } from '../core/departments.js';
import type { User, UserType } from '../core/directory.js';

/** User types that may chat (REST and sockets). */
export const CHAT_STAFF_TYPES: readonly UserType[] = ['department_staff', 'receptionist', 'manager', 'hotel_admin'];

export function isPlatformAdmin(u: Pick<User, 'user_type'>): boolean {
  return u.user_type === 'platform_admin';
}

export function isChatStaff(u: Pick<User, 'user_type'>): boolean {
  return CHAT_STAFF_TYPES.includes(u.user_type);
}

/** Hotel admins and managers see every department of their hotel; others their own. */
export function effectiveDepartments(u: Pick<User, 'user_type' | 'departments'>): Department[] {
  if (u.user_type === 'hotel_admin' || u.user_type === 'manager') return [...DEPARTMENTS];
  return u.departments;
}

/** Departments a new user gets when none are given (as the original system did). */
export function defaultDepartments(type: UserType): Department[] {
  if (type === 'receptionist') return ['Reception'];
  if (type === 'manager' || type === 'hotel_admin') return ['Management'];
  return [];
}

/** Manage rooms, staff and the hotel profile. */
export function canManageHotel(u: Pick<User, 'user_type'>): boolean {
  return u.user_type === 'hotel_admin' || u.user_type === 'manager' || u.user_type === 'platform_admin';
}

/** Register guests and run stays (check-in / check-out): the front desk as well. */
export function canManageGuests(u: Pick<User, 'user_type'>): boolean {
  return canManageHotel(u) || u.user_type === 'receptionist';
}

const RANK: Record<UserType, number> = {
  platform_admin: 5,
  hotel_admin: 4,
  manager: 3,
  receptionist: 2,
  department_staff: 1,
  other_staff: 1,
};

/** A manager of staff may create or change users strictly below their own rank (admins: also peers). */
export function canAssignUserType(actor: Pick<User, 'user_type'>, target: UserType): boolean {
  if (!canManageHotel(actor)) return false;
  if (actor.user_type === 'platform_admin') return true;
  if (target === 'platform_admin') return false;
  if (actor.user_type === 'hotel_admin') return RANK[target] <= RANK.hotel_admin;
  return RANK[target] < RANK[actor.user_type];
}
