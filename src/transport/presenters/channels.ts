// Channel responses.
import type { Channel } from '../../core/channel.js';

export function presentChannel(c: Channel) {
  return {
    id: c.id,
    hotel_id: c.hotel_id,
    provider: c.provider,
    external_id: c.external_id,
    display_phone_number: c.display_phone_number,
    is_active: c.is_active,
    created_at: c.created_at.toISOString(),
    updated_at: c.updated_at.toISOString(),
  };
}
