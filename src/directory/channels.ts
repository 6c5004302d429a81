// Channels of a hotel: its admins (and platform admins, for any hotel) register the provider
// accounts / numbers its guests write to. Another hotel's channel is a 404, as everywhere.
import { ConflictError, ForbiddenError, ValidationError } from '../core/errors.js';
import * as store from '../store/channels.js';
import type { Sql } from '../store/db.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Page, Paged } from '../core/paging.js';
import { CHANNEL_SECRET_FIELDS, type Channel, type ChannelInput, type ChannelPatchInput, type ChannelProvider } from '../core/channel.js';
import type { User } from '../core/directory.js';
import { normalizePhone } from './phone.js';
import { isPlatformAdmin } from './roles.js';
import { listScope, notFound, writeScope } from './scope.js';

export interface ChannelServiceDeps {
  sql: Sql;
  defaultRegion?: string;
  /** A channel's routing changed (created, edited, removed): drop cached lookups of that name. */
  onChanged: (provider: ChannelProvider, externalId: string) => void;
}

function canManageChannels(u: Pick<User, 'user_type'>): boolean {
  return u.user_type === 'hotel_admin' || isPlatformAdmin(u);
}

function duplicate(err: unknown): never {
  if (isUniqueViolation(err, 'channels_external_id_per_provider')) {
    throw new ConflictError('A channel with this external_id is already registered for this provider.', { details: { field: 'external_id' } });
  }
  throw err;
}

const CLOUD_FIELDS = ['waba_id', ...CHANNEL_SECRET_FIELDS] as const;

/** A WhatsApp Cloud API channel cannot work without its Business Account and its three secrets. */
function requireCloudFields(body: ChannelInput): void {
  const missing = Object.fromEntries(CLOUD_FIELDS.filter((f) => !body[f]).map((f) => [f, 'This field is required for a whatsapp_cloud channel.']));
  if (Object.keys(missing).length > 0) throw ValidationError.of(missing);
}

/** Relay channels have no Business Account or secrets: sending them is a mistake worth naming. */
function refuseCloudFields(body: ChannelPatchInput): void {
  const sent = Object.fromEntries(CLOUD_FIELDS.filter((f) => body[f] !== undefined).map((f) => [f, 'Only whatsapp_cloud channels take this field.']));
  if (Object.keys(sent).length > 0) throw ValidationError.of(sent);
}

export class ChannelService {
  constructor(private readonly deps: ChannelServiceDeps) {}

  /** Only hotel and platform admins see channels; others of the hotel are refused, other hotels get a 404. */
  private requireAdmin(actor: User): void {
    if (!canManageChannels(actor)) throw new ForbiddenError('You do not have permission to manage channels.');
  }

  private displayNumber(raw: string | undefined): string | undefined {
    if (raw === undefined || raw.trim() === '') return raw === undefined ? undefined : '';
    const n = normalizePhone(raw, this.deps.defaultRegion);
    if (!n) throw ValidationError.of({ display_phone_number: 'Invalid phone number format' });
    return n;
  }

  async get(actor: User, id: number): Promise<Channel> {
    this.requireAdmin(actor);
    const c = await store.findChannel(this.deps.sql, isPlatformAdmin(actor) ? null : actor.hotel_id, id);
    if (!c) throw notFound('Channel');
    return c;
  }

  list(actor: User, q: { provider?: ChannelProvider; is_active?: boolean; hotel?: string }, page: Page): Promise<Paged<Channel>> {
    this.requireAdmin(actor);
    return store.listChannels(this.deps.sql, { hotelId: listScope(actor, q.hotel), provider: q.provider, active: q.is_active }, page);
  }

  async create(actor: User, body: ChannelInput): Promise<Channel> {
    this.requireAdmin(actor);
    const hotelId = writeScope(actor, body.hotel_id);
    const provider = body.provider ?? 'relay';
    if (provider === 'whatsapp_cloud') requireCloudFields(body);
    else refuseCloudFields(body);
    try {
      const c = await store.insertChannel(this.deps.sql, {
        hotel_id: hotelId,
        provider,
        external_id: body.external_id,
        display_phone_number: this.displayNumber(body.display_phone_number) ?? '',
        waba_id: body.waba_id ?? '',
        is_active: body.is_active ?? true,
        app_secret: body.app_secret,
        verify_token: body.verify_token,
        access_token: body.access_token,
      });
      this.deps.onChanged(c.provider, c.external_id);
      return c;
    } catch (err) {
      duplicate(err);
    }
  }

  async update(actor: User, id: number, body: ChannelPatchInput): Promise<Channel> {
    const before = await this.get(actor, id);
    if (before.provider !== 'whatsapp_cloud') refuseCloudFields(body);
    const display = this.displayNumber(body.display_phone_number);
    const fields = { ...body, ...(display !== undefined ? { display_phone_number: display } : {}) };
    try {
      const c = await store.updateChannel(this.deps.sql, before.hotel_id, id, fields);
      if (!c) throw notFound('Channel');
      this.deps.onChanged(before.provider, before.external_id);
      if (c.external_id !== before.external_id) this.deps.onChanged(c.provider, c.external_id);
      return c;
    } catch (err) {
      duplicate(err);
    }
  }

  async remove(actor: User, id: number): Promise<void> {
    const c = await this.get(actor, id);
    const gone = await store.deleteChannel(this.deps.sql, c.hotel_id, id);
    if (!gone) throw notFound('Channel');
    this.deps.onChanged(gone.provider, gone.external_id);
  }
}
