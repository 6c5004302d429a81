// The queued WhatsApp jobs: a status whose message is not known yet is retried for a few
// deliveries, then dropped; a change's unknown statuses become whatsapp.status jobs.
import t from 'tap';
import { pino } from 'pino';
import { whatsappInboundHandler, whatsappStatusHandler } from '../../src/jobs/handlers/whatsapp-inbound.js';
import { PermanentJobError, type Job } from '../../src/jobs/queue.js';
import type { WaBatchJob, WaStatusJob } from '../../src/chat/whatsapp/inbound.js';

const log = pino({ level: 'silent' });
const update = { wamid: 'wamid.out', status: 'delivered' as const, error: null, at: 1, recipient: '1555' };
const job = <P>(payload: P, deliveries = 1): Job<P> => ({ id: 'j', kind: 'k', payload, deliveries });

t.test('an unknown status is retried, then dropped', async (t) => {
  const h = whatsappStatusHandler({ status: async () => 'unknown' }, log);
  const payload: WaStatusJob = { channel_id: 1, hotel_id: 'h', update };
  await t.rejects(h(job(payload, 1)), /no outbound message has wamid wamid\.out yet/);
  await t.rejects(h(job(payload, 2)));
  await t.resolves(h(job(payload, 3)), 'dropped after a few deliveries');
  await t.resolves(whatsappStatusHandler({ status: async () => 'moved' }, log)(job(payload)));
  await t.rejects(h(job({ update } as unknown as WaStatusJob)), PermanentJobError);
});

t.test('a change: its unknown statuses become whatsapp.status jobs, once each', async (t) => {
  const enqueued: Array<{ kind: string; id: string }> = [];
  const queue = { enqueue: async (kind: string, _p: unknown, o: { id: string }) => void enqueued.push({ kind, id: o.id }) };
  const h = whatsappInboundHandler({ batch: async () => ({ unknown: [update] }) }, queue);
  const change: WaBatchJob = { channel_id: 1, hotel_id: 'h', messages: [], statuses: [update] };
  await h(job(change));
  t.same(enqueued, [{ kind: 'whatsapp.status', id: 'was:wamid.out:delivered' }]);
  await t.rejects(h(job({ channel_id: 1 } as unknown as WaBatchJob)), PermanentJobError);
});
