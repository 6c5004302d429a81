// The dashboard's message templates (the original chat.MessageTemplate and
// chat.CustomMessageTemplate): text with {{variable}} placeholders filled from the hotel, the
// guest and their stay. Global templates are platform-wide; a hotel's custom templates may be
// based on one.

export const TEMPLATE_TYPES = [
  ['greeting', 'Greeting'],
  ['checkin', 'Check-in'],
  ['service', 'Service'],
  ['farewell', 'Farewell'],
  ['emergency', 'Emergency'],
  ['promotion', 'Promotion'],
  ['general', 'General'],
] as const;
export type TemplateType = (typeof TEMPLATE_TYPES)[number][0];
export const TEMPLATE_TYPE_VALUES = TEMPLATE_TYPES.map(([v]) => v) as TemplateType[];

export interface TemplateFields {
  name: string;
  template_type: TemplateType;
  text_content: string;
  /** An image stored with the template (served through signed media URLs). */
  media_key: string | null;
  media_url: string | null;
  media_filename: string | null;
  is_customizable: boolean;
  is_active: boolean;
  variables: string[];
  description: string;
}

export interface GlobalTemplate extends TemplateFields {
  id: number;
  created_at: Date;
  updated_at: Date;
}

export interface CustomTemplate extends GlobalTemplate {
  hotel_id: string;
  hotel_name: string;
  base_template: number | null;
  base_template_name: string | null;
}

export interface TemplateVariable {
  name: string;
  model: string;
  field: string;
  description: string;
  example: string;
}

/** The variables a template may use, where each comes from, and the sample a preview shows. */
export const TEMPLATE_VARIABLES: readonly TemplateVariable[] = [
  { name: 'hotel_name', model: 'Hotel', field: 'name', description: 'Name of the hotel', example: 'Grand Plaza Hotel' },
  { name: 'hotel_address', model: 'Hotel', field: 'address', description: 'Street address of the hotel', example: '123 Main Street' },
  { name: 'hotel_city', model: 'Hotel', field: 'city', description: 'City of the hotel', example: 'Mumbai' },
  { name: 'hotel_phone', model: 'Hotel', field: 'phone', description: 'Phone number of the hotel', example: '+91 22 1234 5678' },
  { name: 'hotel_email', model: 'Hotel', field: 'email', description: 'Email of the hotel', example: 'info@grandplaza.com' },
  { name: 'checkin_time', model: 'Hotel', field: 'check_in_time', description: 'Standard check-in time', example: '02:00 PM' },
  { name: 'checkout_time', model: 'Hotel', field: 'check_out_time', description: 'Standard check-out time', example: '11:00 AM' },
  { name: 'breakfast_time', model: 'Hotel', field: 'breakfast_time', description: 'Breakfast start time', example: '07:30 AM' },
  { name: 'lunch_time', model: 'Hotel', field: 'lunch_time', description: 'Lunch start time', example: '12:30 PM' },
  { name: 'dinner_time', model: 'Hotel', field: 'dinner_time', description: 'Dinner start time', example: '07:00 PM' },
  { name: 'wifi_name', model: 'WiFi', field: 'network_name', description: 'Wi-Fi network of the guest\'s floor', example: 'GrandPlaza_Guest' },
  { name: 'wifi_password', model: 'WiFi', field: 'password', description: 'Wi-Fi password of the guest\'s floor', example: 'welcome123' },
  { name: 'guest_name', model: 'Guest', field: 'full_name', description: 'Full name of the guest', example: 'John Smith' },
  { name: 'guest_email', model: 'Guest', field: 'email', description: 'Email of the guest', example: 'john.smith@example.com' },
  { name: 'guest_phone', model: 'Guest', field: 'whatsapp_number', description: 'WhatsApp number of the guest', example: '+1 555 123 4567' },
  { name: 'room_number', model: 'Room', field: 'room_number', description: 'Room of the active stay', example: '101' },
  { name: 'floor', model: 'Room', field: 'floor', description: 'Floor of the room', example: '1' },
  { name: 'room_category', model: 'Room', field: 'category', description: 'Category of the room', example: 'Deluxe' },
  { name: 'booking_id', model: 'Booking', field: 'id', description: 'Latest booking of the guest', example: '1024' },
  { name: 'no_of_days', model: 'Stay', field: 'nights', description: 'Nights of the stay', example: '3' },
  { name: 'current_date', model: 'System', field: 'date', description: 'Today in the hotel\'s time zone', example: '30 Nov 2026' },
  { name: 'current_time', model: 'System', field: 'time', description: 'Now in the hotel\'s time zone', example: '10:30 AM' },
];

export function sampleData(): Record<string, string> {
  return Object.fromEntries(TEMPLATE_VARIABLES.map((v) => [v.name, v.example]));
}
