// Hotels: platform admins create and administer them; a hotel's own admins edit its profile.
import { ForbiddenError, ValidationError } from '../core/errors.js';
import type { Sql } from '../store/db.js';
import * as store from '../store/hotels.js';
import type { Page, Paged } from '../core/paging.js';
import type { Hotel, HotelInput, HotelPatchInput, User } from '../core/directory.js';
import { isPlatformAdmin } from './roles.js';
import { isUuid, listScope, notFound, requireRole } from './scope.js';

function checkTimeZone(tz: string | undefined): void {
  if (tz === undefined) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw ValidationError.of({ time_zone: `"${tz}" is not an IANA time zone` });
  }
}

export class HotelService {
  /** onDeactivated: the hotel's sessions must end (its staff and guests lose access). */
  constructor(private readonly sql: Sql, private readonly onDeactivated: (hotelId: string) => void = () => undefined) {}

  async get(actor: User, id: string): Promise<Hotel> {
    if (!isUuid(id) || (!isPlatformAdmin(actor) && actor.hotel_id !== id)) throw notFound('Hotel');
    const h = await store.findHotel(this.sql, id);
    if (!h) throw notFound('Hotel');
    return h;
  }

  list(actor: User, q: { search?: string }, page: Page): Promise<Paged<Hotel>> {
    const only = listScope(actor);
    return store.listHotels(this.sql, { onlyId: only ?? undefined, search: q.search }, page);
  }

  async create(actor: User, body: HotelInput): Promise<Hotel> {
    requireRole(isPlatformAdmin(actor), 'create hotels');
    checkTimeZone(body.time_zone);
    return store.insertHotel(this.sql, body);
  }

  async update(actor: User, id: string, body: HotelPatchInput): Promise<Hotel> {
    await this.get(actor, id);
    if (!isPlatformAdmin(actor)) {
      requireRole(actor.user_type === 'hotel_admin' || actor.user_type === 'manager', 'edit this hotel');
      if (body.status !== undefined || body.is_active !== undefined) {
        throw new ForbiddenError('Only platform administrators change a hotel\'s status.');
      }
    }
    checkTimeZone(body.time_zone);
    const h = await store.updateHotel(this.sql, id, body);
    if (!h) throw notFound('Hotel');
    if (body.is_active === false) this.onDeactivated(id);
    return h;
  }
}
