// Teardown of a JetStreamQueue made by a test: stop it, delete its stream, close its link.
import { jetstreamManager } from '@nats-io/jetstream';
import type { Test } from 'tap';
import type { JetStreamQueue } from '../../src/jobs/queue-jetstream.js';
import type { NatsLink } from '../../src/nats/link.js';

export function removeOnTeardown(t: Test, queue: JetStreamQueue, link: NatsLink): void {
  t.teardown(async () => {
    await queue.stop();
    if (link.connection) {
      const jsm = await jetstreamManager(link.connection);
      await jsm.streams.delete(queue.streamName).catch(() => undefined);
    }
    await link.stop();
  });
}
