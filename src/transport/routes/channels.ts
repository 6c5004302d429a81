// Channel REST: the provider accounts / numbers of a hotel. Handlers only decode, call the
// channel service (which authorises and scopes by hotel) and encode.
import type { ChannelService } from '../../directory/channels.js';
import { parseId } from '../../directory/scope.js';
import type { Static } from 'typebox';
import type { ChannelInput, ChannelPatchInput } from '../../core/channel.js';
import * as ch from '../../protocol/rest/channels.js';
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
    }),
    authed('POST', '/api/channels', async (ctx, me) => ({
      status: 201,
      body: presentChannel(await channels.create(me, await ctx.json(ch.ChannelCreate))),
    })),
    authed('GET', '/api/channels/:id', async (ctx, me) => ({ status: 200, body: presentChannel(await channels.get(me, parseId(ctx.params['id']!, 'Channel'))) })),
    authed('PATCH', '/api/channels/:id', async (ctx, me) => ({
      status: 200,
      body: presentChannel(await channels.update(me, parseId(ctx.params['id']!, 'Channel'), await ctx.json(ch.ChannelPatch))),
    })),
    authed('DELETE', '/api/channels/:id', async (ctx, me) => {
      await channels.remove(me, parseId(ctx.params['id']!, 'Channel'));
      return { status: 204 };
    }),
  ];
}
