// Directory records as the domain sees them (database rows, snake_case as stored).
import type { Department } from './departments.js';

export const USER_TYPES = ['platform_admin', 'hotel_admin', 'manager', 'receptionist', 'department_staff', 'other_staff'] as const;
export type UserType = (typeof USER_TYPES)[number];

export interface User {
  id: number;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  phone_number: string;
  user_type: UserType;
  hotel_id: string | null;
  hotel_name: string | null;
  hotel_is_active: boolean | null;
  departments: Department[];
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
}

/**
 * What chat needs of a staff member: who they are (for names on messages), their hotel, role and
 * departments (for access). A staff socket keeps only this, not the whole user row.
 */
export type ChatUser = Pick<User, 'id' | 'username' | 'first_name' | 'last_name' | 'user_type' | 'hotel_id' | 'departments'>;

export interface Hotel {
  id: string;
  name: string;
  description: string;
  address: string;
  city: string;
  state: string;
  country: string;
  pincode: string;
  phone: string;
  email: string;
  time_zone: string;
  check_in_time: string;
  check_out_time: string;
  google_review_link: string;
  google_map_link: string;
  /** HH:MM:SS, or null until the hotel sets it. */
  breakfast_time: string | null;
  lunch_time: string | null;
  dinner_time: string | null;
  breakfast_reminder: boolean;
  lunch_reminder: boolean;
  dinner_reminder: boolean;
  status: 'pending' | 'verified' | 'suspended' | 'rejected';
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

export const ROOM_STATUSES = ['available', 'occupied', 'cleaning', 'maintenance', 'out_of_order'] as const;
export type RoomStatus = (typeof ROOM_STATUSES)[number];

export interface Room {
  id: number;
  hotel_id: string;
  room_number: string;
  floor: number;
  status: RoomStatus;
  created_at: Date;
  updated_at: Date;
}

export const GUEST_STATUSES = ['pending_checkin', 'checked_in', 'checked_out'] as const;
export type GuestStatus = (typeof GUEST_STATUSES)[number];

export interface Guest {
  id: number;
  whatsapp_number: string;
  full_name: string;
  email: string;
  nationality: string;
  status: GuestStatus;
  hotel_id: string;
  created_at: Date;
  updated_at: Date;
}

export const STAY_STATUSES = ['pending', 'active', 'completed', 'cancelled'] as const;
export type StayStatus = (typeof STAY_STATUSES)[number];

export interface Stay {
  id: number;
  hotel_id: string;
  guest_id: number;
  room_id: number | null;
  status: StayStatus;
  check_in_date: Date | null;
  check_out_date: Date | null;
  actual_check_in: Date | null;
  actual_check_out: Date | null;
  number_of_guests: number;
  created_at: Date;
  updated_at: Date;
}

/** A stay with the room and guest the dashboard shows beside it. */
export interface StayView extends Stay {
  room_number: string | null;
  floor: number | null;
  guest_name: string;
  guest_whatsapp_number: string;
}

/** An entry of a user's notification inbox. */
export interface Notification {
  id: number;
  user_id: number;
  hotel_id: string | null;
  type: string;
  title: string;
  message: string;
  link: string;
  link_label: string;
  is_read: boolean;
  created_at: Date;
}

// ───── inputs: what the directory services accept (the wire bodies in protocol/rest are checked
// against these at the transport edge, so the two cannot drift) ─────

/** A hotel's editable fields; a platform admin alone may set status and is_active. */
export type HotelPatchInput = Partial<Pick<Hotel,
  'name' | 'description' | 'address' | 'city' | 'state' | 'country' | 'pincode' | 'phone' | 'email'
  | 'time_zone' | 'check_in_time' | 'check_out_time' | 'status' | 'is_active'
  | 'google_review_link' | 'google_map_link' | 'breakfast_time' | 'lunch_time' | 'dinner_time'
  | 'breakfast_reminder' | 'lunch_reminder' | 'dinner_reminder'>>;

export interface HotelInput extends HotelPatchInput {
  name: string;
}

export interface UserInput {
  username: string;
  email: string;
  password: string;
  first_name?: string;
  last_name?: string;
  phone_number?: string;
  user_type: UserType;
  /** Department names as the client spells them; canonicalised (and refused if unknown) by the service. */
  department?: string | string[];
  hotel_id?: string;
}

export interface UserPatchInput extends Partial<Omit<UserInput, 'hotel_id'>> {
  is_active?: boolean;
  /** The dashboard's name for is_active on its staff page: the same flag. */
  is_active_hotel_user?: boolean;
}

export interface RoomInput {
  room_number: string;
  floor: number;
  status?: RoomStatus;
  hotel_id?: string;
}

export type RoomPatchInput = Partial<Omit<RoomInput, 'hotel_id'>>;

export interface GuestInput {
  /** As typed; the service normalises it to international form. */
  whatsapp_number: string;
  full_name: string;
  email?: string;
  nationality?: string;
  hotel_id?: string;
}

export type GuestPatchInput = Partial<Omit<GuestInput, 'hotel_id'>>;

/** Dates are ISO 8601 strings (the edge checked the shape; the service refuses days that do not exist). */
export interface StayPatchInput {
  room_id?: number | null;
  check_in_date?: string;
  check_out_date?: string;
  number_of_guests?: number;
}

/** A stay names exactly one of an existing guest (guest_id) or a guest to find or register (guest). */
export interface StayInput extends StayPatchInput {
  guest_id?: number;
  guest?: Omit<GuestInput, 'hotel_id'>;
  hotel_id?: string;
}

export interface CheckInInput {
  room_id?: number;
}
