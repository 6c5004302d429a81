// Chat REST API (seed endpoints plus what the dashboard calls). Writes produce the same events
// as the equivalent socket frames because both go through the chat command layer.
import type { ChannelCache } from '../../chat/channel-cache.js';
import type { ChatCore } from '../../chat/core.js';
import { guestOfRow, viewOf } from '../../chat/views.js';
import { parseId } from '../../directory/scope.js';
import type { JobQueue } from '../../jobs/queue.js';
import { inboundKey } from '../../jobs/inbound.js';
import { ConflictError, ValidationError } from '../../core/errors.js';
import type { MediaUrl } from '../../chat/message-frame.js';
import * as c from '../../protocol/rest/chat.js';
import * as r from '../../protocol/rest/replies.js';
import { restConversation, restMessage } from '../presenters/chat.js';
import { validate } from '../../protocol/validate.js';
import type { HttpContext } from '../http/context.js';
import { parseQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import { pageParams, type Kit } from './kit.js';
import { SIGNATURE_HEADER, type WebhookGuard } from './webhook-signature.js';

export interface ChatRouteDeps {
  chat: Pick<ChatCore, 'guestMessages' | 'staff' | 'system' | 'queries'>;
  queue: JobQueue;
  /** Signature check and bad-signature limit of provider webhooks. */
  webhookGuard: WebhookGuard;
  webhookMode: 'sync' | 'queued';
  /** Channel → hotel: the channel a message arrived on decides its hotel. */
  channels: ChannelCache;
  mediaUrl: MediaUrl;
}

async function signedJson(ctx: HttpContext, guard: WebhookGuard): Promise<unknown> {
  const raw = await ctx.body();
  guard.check(() => ctx.ip, raw, ctx.headers[SIGNATURE_HEADER]);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new ValidationError(`body is not valid JSON: ${(e as Error).message}`);
  }
}

export function chatRoutes(deps: ChatRouteDeps, kit: Kit): Route[] {
  const { guestMessages, staff, system, queries } = deps.chat;
  const { authed } = kit;
  return [
    {
      method: 'POST',
      path: '/api/chat/guest-webhook',
      doc: {
        summary: 'A guest message from the relay (signed)',
        auth: 'webhook-signature',
        body: c.GuestWebhookBody,
        responses: { 201: r.GuestWebhookReply, 202: r.GuestWebhookQueuedReply },
      },
      // Authenticated by its signature; provider bursts must not meet the per-IP limit.
      unlimited: true,
      handler: async (ctx) => {
        const body = validate(c.GuestWebhookBody, await signedJson(ctx, deps.webhookGuard));
        // The channel decides the hotel; the guest is then looked up only within it.
        const channel = await deps.channels.get('relay', body.channel);
        if (!channel) throw ValidationError.of({ channel: 'no active relay channel has this external id' });
        const input = { ...body, hotel_id: channel.hotel_id };
        if (deps.webhookMode === 'queued') {
          // Keyed by the guest's number: one guest's messages are processed in order, cluster-wide.
          const { id, duplicate } = await deps.queue.enqueue('inbound.webhook', input, {
            key: inboundKey(body),
            ...(body.provider_message_id ? { id: body.provider_message_id } : {}),
          });
          return { status: 202, body: { status: 'accepted', job_id: id, duplicate, provider_message_id: body.provider_message_id ?? null } };
        }
        const result = await guestMessages.receive(input);
        return { status: 201, body: result };
      },
    },

    {
      // Delivery receipts of outbound messages from the provider (signed like the webhook).
      method: 'POST',
      path: '/api/chat/provider-status',
      doc: { summary: 'Delivery status of a staff reply, from the provider (signed)', auth: 'webhook-signature', body: c.ProviderStatusBody, responses: { 200: r.ProviderStatusReply } },
      unlimited: true,
      handler: async (ctx) => {
        const body = validate(c.ProviderStatusBody, await signedJson(ctx, deps.webhookGuard));
        return { status: 200, body: await system.providerStatus(body.provider_message_id, body.status, body.error ?? null) };
      },
    },

    authed('GET', '/api/chat/conversations', async (ctx, me) => {
      const q = parseQuery(ctx, c.ConversationListQuery);
      const p = pageParams(q, 10);
      const now = new Date();
      const data = await queries.list(me, q, p);
      return kit.page(ctx, p, data, (row) => restConversation(row, restMessage(viewOf(row.last_message as unknown as Parameters<typeof viewOf>[0], guestOfRow(row)), deps.mediaUrl, now)));
    }, { doc: { summary: 'The user\'s conversations, newest first (pages of 10)', query: c.ConversationListQuery, responses: { 200: r.Page(r.ConversationReply) } } }),

    authed('GET', '/api/chat/conversations/:id', async (ctx, me) => {
      const q = parseQuery(ctx, c.ConversationDetailQuery);
      const { row, messages } = await queries.detail(me, parseId(ctx.params['id']!, 'Conversation'), q);
      const now = new Date();
      const rendered = messages.map((m) => restMessage(m, deps.mediaUrl, now));
      const last = restMessage(viewOf(row.last_message as unknown as Parameters<typeof viewOf>[0], guestOfRow(row)), deps.mediaUrl, now);
      return { status: 200, body: { conversation: restConversation(row, last), messages: rendered } };
    }, { doc: { summary: 'A conversation and its messages', query: c.ConversationDetailQuery, responses: { 200: r.ConversationDetailReply } } }),

    authed('POST', '/api/chat/conversations/create', async (ctx, me) => {
      const body = await ctx.json(c.CreateConversationBody);
      const r = await staff.createConversation(me, body.guest_whatsapp_number, body.department_type);
      if (!r.created) throw new ConflictError('Conversation already exists', { details: { conversation_id: r.conversation_id } });
      return {
        status: 201,
        body: { message: 'Conversation created successfully', conversation_id: r.conversation_id, guest_name: r.guest_name, department: r.department },
      };
    }, { doc: { summary: 'Start a conversation with a guest', body: c.CreateConversationBody, responses: { 201: r.ConversationCreatedReply } } }),

    authed('POST', '/api/chat/conversations/close', async (ctx, me) => {
      const body = await ctx.json(c.ConversationIdBody);
      const changed = await staff.close(me, body.conversation_id);
      return { status: 200, body: { message: changed ? 'Conversation closed successfully' : 'Conversation was already closed', conversation_id: body.conversation_id, status: 'closed' } };
    }, { doc: { summary: 'Close a conversation', body: c.ConversationIdBody, responses: { 200: r.ConversationStatusReply } } }),

    authed('POST', '/api/chat/conversations/reopen', async (ctx, me) => {
      const body = await ctx.json(c.ConversationIdBody);
      if (!(await staff.reopen(me, body.conversation_id))) throw new ConflictError('Only a closed conversation can be reopened');
      return { status: 200, body: { message: 'Conversation reopened successfully', conversation_id: body.conversation_id, status: 'active' } };
    }, { doc: { summary: 'Reopen a closed conversation', body: c.ConversationIdBody, responses: { 200: r.ConversationStatusReply } } }),

    authed('POST', '/api/chat/messages/mark-read', async (ctx, me) => {
      const body = await ctx.json(c.MarkReadBody);
      const r = await staff.markRead(me, body.conversation_id, body.message_ids ?? null);
      return {
        status: 200,
        body: {
          message: 'Messages marked as read successfully',
          conversation_id: body.conversation_id,
          messages_marked_read: r.marked,
          message_ids: body.message_ids ?? null,
          up_to_seq: r.upToSeq,
        },
      };
    }, { doc: { summary: 'Mark messages read', body: c.MarkReadBody, responses: { 200: r.MarkReadReply } } }),

    authed('POST', '/api/chat/messages/typing', async (ctx, me) => {
      const body = await ctx.json(c.TypingBody);
      await staff.typing(me, body.conversation_id, body.is_typing);
      return { status: 200, body: { success: true, conversation_id: body.conversation_id, is_typing: body.is_typing, timestamp: new Date().toISOString() } };
    }, { doc: { summary: 'Typing indicator', body: c.TypingBody, responses: { 200: r.TypingReply } } }),
  ];
}
