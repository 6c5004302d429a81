// At shutdown a node closes its idle keep-alive connections instead of leaving them to the
// client's next request, and answers still being written close their connection.
import net from 'node:net';
import t from 'tap';
import { startApp } from '../helpers/app.js';

/** A raw keep-alive HTTP/1.1 client: one socket, requests written by hand. */
function keepAlive(port: number) {
  const sock = net.connect({ host: '127.0.0.1', port });
  let data = '';
  sock.on('data', (c) => (data += c.toString('latin1')));
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  return {
    closed,
    /** Resolves with the raw response once its headers and body arrived. */
    get(path: string): Promise<string> {
      const from = data.length;
      sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      return new Promise((resolve, reject) => {
        const check = () => {
          const text = data.slice(from);
          const m = /content-length: (\d+)/i.exec(text);
          const head = text.indexOf('\r\n\r\n');
          if (m && head !== -1 && text.length >= head + 4 + Number(m[1])) {
            sock.off('data', check);
            resolve(text);
          }
        };
        sock.on('data', check);
        sock.once('close', () => reject(new Error('closed before the answer')));
        check();
      });
    },
    destroy: () => sock.destroy(),
  };
}

t.test('stop() closes idle keep-alive connections', async (t) => {
  const app = await startApp(t);
  const client = keepAlive(app.port);
  t.teardown(() => client.destroy());
  const first = await client.get('/healthz');
  t.match(first, /^HTTP\/1\.1 200/, 'answered');
  t.notMatch(first, /connection: close/i, 'and kept alive');
  const second = await client.get('/healthz');
  t.match(second, /^HTTP\/1\.1 200/, 'the connection is reused');
  t.equal(await app.stop(), true, 'stopped cleanly');
  // Without the close the idle connection stays open until the client gives up on it; the
  // bound only keeps a regression from hanging the file.
  const outcome = await Promise.race([
    client.closed.then(() => 'closed' as const),
    new Promise<'open'>((r) => setTimeout(() => r('open'), 10_000).unref()),
  ]);
  t.equal(outcome, 'closed', 'the idle connection was closed by the server');
});
