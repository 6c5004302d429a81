// The names a running deployment already has in NATS: streams, their subjects and the filters of
// durable consumers. A change here orphans queued jobs and replies, so the exact strings are pinned.
import t from 'tap';
import { clusterSubject, jobSubjects, replySubjects, subjects } from '../../src/fanout/subjects.js';

t.test('job queue stream and subjects', async (t) => {
  t.equal(jobSubjects.stream('lobbybee'), 'lobbybee_JOBS');
  t.equal(jobSubjects.all('lobbybee'), 'lobbybee.jobs.>');
  t.equal(jobSubjects.one('lobbybee', 'whatsapp.send'), 'lobbybee.jobs.whatsapp.send');
  t.equal(jobSubjects.one('lobbybee', 'inbound.webhook', 0), 'lobbybee.jobs.inbound.webhook.p0');
  t.equal(jobSubjects.one('lobbybee', 'inbound.webhook', 3), 'lobbybee.jobs.inbound.webhook.p3');
  t.equal(jobSubjects.partitions('lobbybee', 'inbound.webhook'), 'lobbybee.jobs.inbound.webhook.*');
});

t.test('reply hand-off stream and subjects', async (t) => {
  t.equal(replySubjects.stream('lobbybee'), 'lobbybee_REPLIES');
  t.equal(replySubjects.all('lobbybee'), 'lobbybee.replies.>');
  t.equal(replySubjects.one('lobbybee', 'h1', 'service'), 'lobbybee.replies.h1.service');
});

t.test('broker subjects travel between nodes under <prefix>.ev.', async (t) => {
  const dept = subjects.department('h1', 'Room Service');
  t.match(dept, /^dept\.h1\./);
  t.equal(clusterSubject('lobbybee', dept), `lobbybee.ev.${dept}`);
  t.equal(clusterSubject('lobbybee', subjects.conversation('h1', 7)), 'lobbybee.ev.conv.h1.7');
  t.equal(clusterSubject('lobbybee', subjects.guest('h1', 9)), 'lobbybee.ev.guest.h1.9');
});
