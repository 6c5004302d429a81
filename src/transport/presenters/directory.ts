// Directory responses: stored records turned into the bodies the dashboard reads.
import type { Guest, Hotel, Notification, Room, StayView, User } from '../../core/directory.js';

export function presentHotel(h: Hotel) {
  return {
    id: h.id,
    name: h.name,
    description: h.description,
    address: h.address,
    city: h.city,
    state: h.state,
    country: h.country,
    pincode: h.pincode,
    phone: h.phone,
    email: h.email,
    time_zone: h.time_zone,
    check_in_time: h.check_in_time.slice(0, 5),
    check_out_time: h.check_out_time.slice(0, 5),
    google_review_link: h.google_review_link,
    google_map_link: h.google_map_link,
    breakfast_time: h.breakfast_time?.slice(0, 5) ?? null,
    lunch_time: h.lunch_time?.slice(0, 5) ?? null,
    dinner_time: h.dinner_time?.slice(0, 5) ?? null,
    breakfast_reminder: h.breakfast_reminder,
    lunch_reminder: h.lunch_reminder,
    dinner_reminder: h.dinner_reminder,
    status: h.status,
    is_active: h.is_active,
    created_at: h.created_at.toISOString(),
    updated_at: h.updated_at.toISOString(),
  };
}

export function presentUser(u: User) {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    first_name: u.first_name,
    last_name: u.last_name,
    phone_number: u.phone_number,
    user_type: u.user_type,
    hotel_id: u.hotel_id,
    hotel_name: u.hotel_name,
    department: u.departments,
    is_active: u.is_active,
    // The dashboard's staff page reads this name for the same flag.
    is_active_hotel_user: u.is_active,
    created_at: u.created_at.toISOString(),
    last_login: u.last_login_at?.toISOString() ?? null,
  };
}

export function presentRoom(r: Room) {
  return {
    id: r.id,
    hotel_id: r.hotel_id,
    room_number: r.room_number,
    floor: r.floor,
    status: r.status,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

export function presentGuest(g: Guest) {
  return {
    id: g.id,
    whatsapp_number: g.whatsapp_number,
    full_name: g.full_name,
    email: g.email,
    nationality: g.nationality,
    status: g.status,
    hotel_id: g.hotel_id,
    created_at: g.created_at.toISOString(),
    updated_at: g.updated_at.toISOString(),
  };
}

export function presentStay(s: StayView) {
  return {
    id: s.id,
    hotel_id: s.hotel_id,
    guest_id: s.guest_id,
    guest_name: s.guest_name,
    guest_whatsapp_number: s.guest_whatsapp_number,
    room_id: s.room_id,
    room_number: s.room_number,
    floor: s.floor,
    status: s.status,
    check_in_date: s.check_in_date?.toISOString() ?? null,
    check_out_date: s.check_out_date?.toISOString() ?? null,
    actual_check_in: s.actual_check_in?.toISOString() ?? null,
    actual_check_out: s.actual_check_out?.toISOString() ?? null,
    number_of_guests: s.number_of_guests,
    created_at: s.created_at.toISOString(),
    updated_at: s.updated_at.toISOString(),
  };
}

export function presentNotification(n: Notification) {
  return {
    id: n.id,
    type: n.type,
    title: n.title,
    message: n.message,
    link: n.link,
    link_label: n.link_label,
    is_read: n.is_read,
    created_at: n.created_at.toISOString(),
  };
}
