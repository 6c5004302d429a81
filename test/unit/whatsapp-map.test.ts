// Meta's webhook payloads (shapes as Meta documents and sends them) → what we store; the route a
// guest message takes; the department menu as Meta's interactive list.
import t from 'tap';
import { departmentOfChoice, errorText, mapChange, mapMessage, mapStatus } from '../../src/chat/whatsapp/map.js';
import { menuDepartments, routeInbound } from '../../src/chat/whatsapp/route.js';
import { DEPARTMENTS } from '../../src/core/departments.js';
import { checkEnvelope, type WaMessageBase } from '../../src/protocol/whatsapp.js';

const base = { from: '16315551181', id: 'wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', timestamp: '1730000000' };
const msg = (type: string, extra: Record<string, unknown>) => ({ ...base, type, ...extra }) as WaMessageBase;

t.test('text', async (t) => {
  const m = mapMessage(msg('text', { text: { body: 'Could I get two more towels?' } }), 'Ana Lima');
  t.match(m, { wamid: base.id, from: base.from, name: 'Ana Lima', at: 1730000000, messageType: 'text', content: 'Could I get two more towels?' });
  t.equal(m.media, undefined);
  t.equal(mapMessage(msg('text', { text: { body: 'bad\u0000byte' } }), null).content, 'bad\uFFFDbyte', 'NUL is repaired, not refused');
  t.match(mapMessage(msg('text', { text: { body: '   ' } }), null), { messageType: 'system', content: /empty message/ });
});

t.test('media kinds carry the media id, caption and filename; a sticker is an image', async (t) => {
  const image = mapMessage(msg('image', { image: { caption: 'the stain', mime_type: 'image/jpeg', sha256: 'abc=', id: '1003383421387256' } }), null);
  t.match(image, { messageType: 'image', content: 'the stain', media: { id: '1003383421387256', kind: 'image', filename: null, mime: 'image/jpeg' } });
  const doc = mapMessage(msg('document', { document: { filename: 'passport.pdf', mime_type: 'application/pdf', sha256: 'x', id: '55' } }), null);
  t.match(doc, { messageType: 'document', content: '', media: { id: '55', kind: 'document', filename: 'passport.pdf' } });
  const voice = mapMessage(msg('audio', { audio: { mime_type: 'audio/ogg; codecs=opus', sha256: 'x', id: '77', voice: true } }), null);
  t.match(voice, { messageType: 'audio', media: { id: '77', kind: 'audio' } });
  const video = mapMessage(msg('video', { video: { mime_type: 'video/mp4', sha256: 'x', id: '88' } }), null);
  t.match(video, { messageType: 'video', media: { kind: 'video' } });
  const sticker = mapMessage(msg('sticker', { sticker: { mime_type: 'image/webp', sha256: 'x', id: '99', animated: false } }), null);
  t.match(sticker, { messageType: 'image', media: { id: '99', kind: 'sticker' } });
  t.match(mapMessage(msg('image', { image: { mime_type: 'image/jpeg' } }), null), { messageType: 'system', content: /image message that could not be read/ }, 'no media id: a note');
});

t.test('location and contacts become readable text', async (t) => {
  const loc = mapMessage(msg('location', { location: { latitude: 38.7223, longitude: -9.1393, name: 'Praça do Comércio', address: 'Lisboa' } }), null);
  t.equal(loc.messageType, 'text');
  t.match(loc.content, /Praça do Comércio, Lisboa \(38\.7223, -9\.1393\)/);
  t.match(loc.content, /https:\/\/maps\.google\.com\/\?q=38\.7223,-9\.1393/);
  t.match(mapMessage(msg('location', { location: { latitude: 123, longitude: 0 } }), null), { messageType: 'system' }, 'latitude out of range');
  const contacts = mapMessage(
    msg('contacts', {
      contacts: [
        { name: { formatted_name: 'Rui Costa', first_name: 'Rui' }, phones: [{ phone: '+351 912 345 678', wa_id: '351912345678', type: 'CELL' }] },
        { name: { first_name: 'Eva', last_name: 'Maria' } },
      ],
    }),
    null,
  );
  t.equal(contacts.content, '👤 Shared contacts: Rui Costa (+351 912 345 678); Eva Maria');
});

t.test('interactive replies, template buttons and the department menu choice', async (t) => {
  const list = mapMessage(msg('interactive', { context: { from: '15550001111', id: 'wamid.menu' }, interactive: { type: 'list_reply', list_reply: { id: 'dept:Room Service', title: 'Room Service', description: 'In-room dining and amenities' } } }), null);
  t.match(list, { messageType: 'text', content: 'Room Service', department: 'Room Service' });
  const legacy = mapMessage(msg('interactive', { interactive: { type: 'list_reply', list_reply: { id: 'dept_room_service', title: 'Room Service' } } }), null);
  t.equal(legacy.department, 'Room Service', 'the original system\'s row ids are understood');
  const button = mapMessage(msg('interactive', { interactive: { type: 'button_reply', button_reply: { id: 'accept_reopen_conversation_conv#12', title: 'Continue' } } }), null);
  t.match(button, { messageType: 'text', content: 'Continue' });
  t.equal(button.department, undefined);
  const other = mapMessage(msg('interactive', { interactive: { type: 'nfm_reply', nfm_reply: { response_json: '{}' } } }), null);
  t.match(other, { messageType: 'system', content: /interactive nfm_reply reply/ });
  const template = mapMessage(msg('button', { context: { from: '15550001111', id: 'wamid.tpl' }, button: { text: 'Yes, extend', payload: 'EXTEND_YES' } }), null);
  t.match(template, { messageType: 'text', content: 'Yes, extend' });
  t.equal(departmentOfChoice('dept:Spa'), undefined);
  t.equal(departmentOfChoice('reception'), undefined, 'only menu ids choose a department');
});

t.test('reactions: a small message; an empty emoji removes', async (t) => {
  t.match(mapMessage(msg('reaction', { reaction: { message_id: 'wamid.ours', emoji: '👍' } }), null), { messageType: 'text', content: 'Reacted 👍', reaction: { messageId: 'wamid.ours', emoji: '👍' } });
  t.match(mapMessage(msg('reaction', { reaction: { message_id: 'wamid.ours' } }), null), { content: 'Removed a reaction', reaction: { emoji: '' } });
});

t.test('unsupported, unknown, system and new types are notes, never dropped', async (t) => {
  const unsupported = mapMessage(
    { ...base, type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } }] } as WaMessageBase,
    null,
  );
  t.match(unsupported, { messageType: 'system', content: /does not support here \(131051: Message type unknown — Message type is currently not supported\.\)/ });
  t.match(mapMessage({ ...base, type: 'unknown', errors: [{ code: 131051, title: 'Message type unknown' }] } as WaMessageBase, null), { messageType: 'system' });
  t.match(mapMessage(msg('system', { system: { body: 'NAME changed from 16315551181 to 16315551099', type: 'user_changed_number', new_wa_id: '16315551099' } }), null), {
    messageType: 'system',
    content: 'WhatsApp: NAME changed from 16315551181 to 16315551099',
  });
  t.match(mapMessage(msg('order', { order: { catalog_id: '1', product_items: [] } }), null), { messageType: 'system', content: /order message/ });
});

t.test('statuses: sent, delivered, read, failed with Meta\'s code and title; others ignored', async (t) => {
  const s = { id: 'wamid.out', timestamp: '1730000100', recipient_id: '16315551181' };
  t.match(mapStatus({ ...s, status: 'delivered' }), { wamid: 'wamid.out', status: 'delivered', error: null, at: 1730000100, recipient: '16315551181' });
  t.match(mapStatus({ ...s, status: 'failed', errors: [{ code: 131047, title: 'Re-engagement message', error_data: { details: 'More than 24 hours have passed' } }] }), {
    status: 'failed',
    error: '131047: Re-engagement message — More than 24 hours have passed',
  });
  t.equal(mapStatus({ ...s, status: 'deleted' }), null);
  t.equal(errorText([{ code: 130429, title: 'Rate limit hit' }]), '130429: Rate limit hit');
});

t.test('a whole change: contacts name the senders, every message and status is kept in order', async (t) => {
  const value = {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '15550001111', phone_number_id: '106540352242922' },
    contacts: [{ profile: { name: 'Ana Lima' }, wa_id: '16315551181' }, { profile: { name: 'Bo' }, wa_id: '16315551182' }],
    messages: [
      msg('text', { text: { body: 'one' } }),
      { ...msg('text', { text: { body: 'two' } }), from: '16315551182', id: 'wamid.2' },
      { ...msg('reaction', { reaction: { message_id: 'wamid.x', emoji: '❤️' } }), id: 'wamid.3' },
    ],
    statuses: [
      { id: 'wamid.a', status: 'read', timestamp: '1', recipient_id: '16315551181', conversation: { id: 'c', origin: { type: 'service' } }, pricing: { billable: false, pricing_model: 'CBP', category: 'service' } },
      { id: 'wamid.b', status: 'deleted', timestamp: '1', recipient_id: '16315551181' },
    ],
  };
  const r = mapChange(value);
  t.same(r.messages.map((m) => [m.content, m.name]), [['one', 'Ana Lima'], ['two', 'Bo'], ['Reacted ❤️', 'Ana Lima']]);
  t.same(r.statuses.map((s) => s.status), ['read']);
});

t.test('the envelope: unknown fields tolerated, what we read is typed', async (t) => {
  const ok = { object: 'whatsapp_business_account', entry: [{ id: '1', time: 1, changes: [{ field: 'messages', value: {} }] }], extra: true };
  t.equal(checkEnvelope(ok).entry.length, 1);
  const thrown = (v: unknown) => {
    try {
      checkEnvelope(v);
    } catch (e) {
      return e;
    }
    return null;
  };
  t.match(thrown({ object: 'whatsapp_business_account', entry: 'x' }), { status: 400, fields: { entry: /array/ } });
  t.match(thrown({ entry: [] }), { fields: { object: 'is required' } });
});

t.test('routing: status first, then the choice, then the active conversation, else hold', async (t) => {
  t.same(routeInbound('pending_checkin', 'Room Service', 7), { to: 'department', department: 'Reception', releaseHeld: false });
  t.same(routeInbound('checked_out', undefined, undefined), { to: 'department', department: 'Reception', releaseHeld: false });
  t.same(routeInbound('checked_in', 'Housekeeping', 7), { to: 'department', department: 'Housekeeping', releaseHeld: true });
  t.same(routeInbound('checked_in', undefined, 7), { to: 'conversation', conversationId: 7 });
  t.same(routeInbound('checked_in', undefined, undefined), { to: 'hold' });
  t.same(menuDepartments(['Reception', 'Reception', 'Restaurant'], DEPARTMENTS), ['Reception', 'Restaurant']);
  t.same(menuDepartments([], DEPARTMENTS), [...DEPARTMENTS]);
});
