// Channel responses.
import type { Channel } from '../../core/channel.js';

export function presentChannel(c: Channel) {
  return {
    id: c.id,
    hotel_id: c.hotel_id,
    provider: c.provider,
    external_id: c.external_id,
    display_phone_number: c.display_phone_number,
    waba_id: c.waba_id,
    is_active: c.is_active,
    // Secrets are write-only: only whether each is set.
    has_app_secret: c.has_app_secret,
    has_verify_token: c.has_verify_token,
    has_access_token: c.has_access_token,
    created_at: c.created_at.toISOString(),
    updated_at: c.updated_at.toISOString(),
  };
}
