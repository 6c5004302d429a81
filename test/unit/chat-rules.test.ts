// Pure chat rules: routing, access, names, previews, delivery progression, time_ago, read state.
import t from 'tap';
import { markRead, isRead } from '../../src/chat/read-state.js';
import { broadcastsToStaff, conversationAccess, conversationTypeFor, deliveryMayMove, firstName, previewOf, staffName, startsConversation, timeAgo } from '../../src/chat/rules.js';

t.test('conversation type follows the guest', async (t) => {
  t.equal(conversationTypeFor('checked_in'), 'service');
  t.equal(conversationTypeFor('pending_checkin'), 'checkin');
  t.equal(conversationTypeFor('checked_out'), 'general');
  t.ok(broadcastsToStaff('service'));
  for (const type of ['checkin', 'general', 'demo', 'checked_in'] as const) t.notOk(broadcastsToStaff(type), type);
});

t.test('a conversation is announced with its first message only', async (t) => {
  t.ok(startsConversation(1));
  for (const seq of [0, 2, 600]) t.notOk(startsConversation(seq), `seq ${seq}`);
});

t.test('access: other hotel is not found, other department forbidden, admins see all', async (t) => {
  const conv = { hotel_id: 'H1', department: 'Housekeeping' as const };
  const user = (user_type: any, departments: any[], hotel_id = 'H1') => ({ user_type, departments, hotel_id });
  t.equal(conversationAccess(user('department_staff', ['Housekeeping']), conv), 'ok');
  t.equal(conversationAccess(user('department_staff', ['Reception']), conv), 'forbidden');
  t.equal(conversationAccess(user('department_staff', ['Housekeeping'], 'H2'), conv), 'not_found');
  t.equal(conversationAccess(user('manager', ['Management']), conv), 'ok');
  t.equal(conversationAccess(user('hotel_admin', []), conv), 'ok');
  t.equal(conversationAccess(user('other_staff', ['Housekeeping']), conv), 'forbidden');
  t.equal(conversationAccess(user('platform_admin', [], null as any), conv), 'not_found');
});

t.test('names and previews', async (t) => {
  t.equal(firstName('  John  Ronald Doe '), 'John');
  t.equal(firstName(''), 'Guest');
  t.equal(staffName({ first_name: 'Rita', last_name: 'Desk', username: 'r' }), 'Rita Desk');
  t.equal(staffName({ first_name: '', last_name: '', username: 'rdesk' }), 'rdesk');
  t.equal(previewOf({ message_type: 'text', content: 'x'.repeat(300) }).length, 255, 'cut at 255 characters, no ellipsis');
  t.equal(previewOf({ message_type: 'image', content: 'a.jpg', media_filename: 'a.jpg' }), '[IMAGE] a.jpg');
  t.equal(previewOf({ message_type: 'document', content: 'the bill', media_filename: 'bill.pdf' }), '[DOCUMENT] bill.pdf the bill');
});

t.test('delivery status only moves forward', async (t) => {
  t.ok(deliveryMayMove(null, 'queued'));
  t.ok(deliveryMayMove('queued', 'sent'));
  t.ok(deliveryMayMove('sent', 'read'), 'skipping delivered is fine');
  t.notOk(deliveryMayMove('read', 'delivered'));
  t.notOk(deliveryMayMove('delivered', 'sent'));
  t.ok(deliveryMayMove('sent', 'failed'));
  t.notOk(deliveryMayMove('delivered', 'failed'), 'a delivered message did not fail');
  t.notOk(deliveryMayMove('failed', 'sent'));
});

t.test('time_ago as the dashboard prints it', async (t) => {
  const now = new Date('2026-03-10T12:00:00Z');
  const ago = (s: number) => timeAgo(new Date(now.getTime() - s * 1000), now);
  t.equal(ago(5), 'Just now');
  t.equal(ago(60), '1 minute ago');
  t.equal(ago(5 * 60), '5 minutes ago');
  t.equal(ago(3600), '1 hour ago');
  t.equal(ago(5 * 3600), '5 hours ago');
  t.equal(ago(86400), '1 day ago');
  t.equal(ago(6 * 86400), '6 days ago');
  t.equal(ago(8 * 86400), 'Mar 02, 2026');
  t.equal(ago(-30), 'Just now', 'a future time is not negative');
});

t.test('read state marks exactly what is asked and compacts', async (t) => {
  let s = { lastReadSeq: 0, readSeqs: [] as number[] };
  s = markRead(s, [3, 5]);
  t.same(s, { lastReadSeq: 0, readSeqs: [3, 5] });
  t.ok(isRead(s, 3));
  t.notOk(isRead(s, 4));
  s = markRead(s, [1, 2]);
  t.same(s, { lastReadSeq: 3, readSeqs: [5] }, '1,2 close the gap up to 3');
  s = markRead(s, [4]);
  t.same(s, { lastReadSeq: 5, readSeqs: [] });
  s = markRead(s, [], 9);
  t.same(s, { lastReadSeq: 9, readSeqs: [] }, 'mark all up to the last seq');
  s = markRead(s, [2, 9]);
  t.same(s, { lastReadSeq: 9, readSeqs: [] }, 'marking old seqs changes nothing');
  s = markRead({ lastReadSeq: 2, readSeqs: [7] }, [], 5);
  t.same(s, { lastReadSeq: 5, readSeqs: [7] });
});
