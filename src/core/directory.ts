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
