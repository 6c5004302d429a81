// Channel REST: the provider accounts / numbers of a hotel. Handlers only decode, call the
// channel service (which authorises and scopes by hotel) and encode.
import type { ChannelService } from '../../directory/channels.js';
import { parseId } from '../../directory/scope.js';
import type { Static } from 'typebox';
import type { ChannelInput, ChannelPatchInput } from '../../core/channel.js';
import * as ch from '../../protocol/rest/channels.js';
import * as r from '../../protocol/rest/replies.js';
import { presentChannel } from '../presenters/channels.js';
import { parseQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import { pageParams, type Checked, type Kit, type WireFits } from './kit.js';

// The bodies the channel service takes, checked against its domain inputs at compile time.
type ChannelBodiesFit = Checked<[
  WireFits<Static<typeof ch.ChannelCreate>, ChannelInput>,
  WireFits<Static<typeof ch.ChannelPatch>, ChannelPatchInput>,
]>;

export function channelRoutes(channels: ChannelService, kit: Kit): Route[] {
  const { authed } = kit;
  return [
    authed('GET', '/api/channels', async (ctx, me) => {
      const q = parseQuery(ctx, ch.ChannelQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await channels.list(me, q, p), presentChannel);
    }, { doc: { summary: 'List channels (provider accounts and numbers guests write to)', query: ch.ChannelQuery, responses: { 200: r.Page(r.ChannelReply) } } }),
    authed('POST', '/api/channels', async (ctx, me) => ({
      status: 201,
      body: presentChannel(await channels.create(me, await ctx.json(ch.ChannelCreate))),
    }), { doc: { summary: 'Register a channel', body: ch.ChannelCreate, responses: { 201: r.ChannelReply } } }),
    authed('GET', '/api/channels/:id', async (ctx, me) => ({ status: 200, body: presentChannel(await channels.get(me, parseId(ctx.params['id']!, 'Channel'))) }), { doc: { summary: 'A channel', responses: { 200: r.ChannelReply } } }),
    authed('PATCH', '/api/channels/:id', async (ctx, me) => ({
      status: 200,
      body: presentChannel(await channels.update(me, parseId(ctx.params['id']!, 'Channel'), await ctx.json(ch.ChannelPatch))),
    }), { doc: { summary: 'Edit a channel', body: ch.ChannelPatch, responses: { 200: r.ChannelReply } } }),
    authed('DELETE', '/api/channels/:id', async (ctx, me) => {
      await channels.remove(me, parseId(ctx.params['id']!, 'Channel'));
      return { status: 204 };
    }, { doc: { summary: 'Remove a channel', responses: { 204: { description: 'Done; no body' } } } }),
  ];
}
