// Where a WhatsApp guest message goes. Pure.
//
// - A guest who is not checked in (pending check-in, checked out, or first seen now) writes to
//   Reception; the conversation type follows their status (checkin, general) and the message is
//   handed to the reply systems, as every inbound message is today.
// - A checked-in guest's department choice (a `dept:<Department>` menu row) opens, or continues,
//   the conversation in that department; messages held while they chose are stored there first.
// - A checked-in guest with an active service conversation writes into it (the most recent one).
// - A checked-in guest without one gets the department menu; the message is held until they pick.
import type { Department } from '../../core/departments.js';
import type { GuestStatus } from '../../core/directory.js';

export type WaRoute =
  | { to: 'conversation'; conversationId: number }
  | { to: 'department'; department: Department; releaseHeld: boolean }
  | { to: 'hold' };

export function routeInbound(guestStatus: GuestStatus, choice: Department | undefined, activeConversation: number | undefined): WaRoute {
  if (guestStatus !== 'checked_in') return { to: 'department', department: 'Reception', releaseHeld: false };
  if (choice) return { to: 'department', department: choice, releaseHeld: true };
  if (activeConversation !== undefined) return { to: 'conversation', conversationId: activeConversation };
  return { to: 'hold' };
}

/** Rows of the department menu: the departments the hotel's staff work in, else all five. */
export function menuDepartments(staffDepartments: readonly Department[], all: readonly Department[]): Department[] {
  return staffDepartments.length ? [...new Set(staffDepartments)].slice(0, 10) : [...all];
}
