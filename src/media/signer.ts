// Media URLs handed to clients: /media/<key>?exp=<unix seconds>&sig=<HMAC>. They are presigned
// and expire; the server checks them and serves the object (disk) or redirects to a short-lived
// presigned URL of the private bucket (S3). The same check recognises a file_url as our own: it
// must be absolute, on the base URL we sign with (scheme, host, port and path prefix), and carry
// a valid signature; whether it has expired is reported, and callers refuse expired links.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface MediaSigner {
  url(key: string, ttlS?: number): string;
  /** The object key of a URL we signed (our base URL, valid signature; expired or not), else null. */
  keyOf(url: string): { key: string; expired: boolean } | null;
  verify(key: string, exp: string, sig: string): 'ok' | 'expired' | 'bad';
}

export function createSigner(opts: { secret: string; baseUrl: () => string; ttlS: number }): MediaSigner {
  const mac = (key: string, exp: string) => createHmac('sha256', opts.secret).update(`${key}\n${exp}`).digest('base64url');
  const verify = (key: string, exp: string, sig: string): 'ok' | 'expired' | 'bad' => {
    if (!/^\d{1,12}$/.test(exp)) return 'bad';
    const expected = Buffer.from(mac(key, exp));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad';
    return Number(exp) * 1000 < Date.now() ? 'expired' : 'ok';
  };
  return {
    url(key, ttlS = opts.ttlS) {
      const exp = String(Math.floor(Date.now() / 1000) + ttlS);
      return `${opts.baseUrl()}/media/${key.split('/').map(encodeURIComponent).join('/')}?exp=${exp}&sig=${mac(key, exp)}`;
    },
    keyOf(raw) {
      let u: URL;
      let base: URL;
      try {
        u = new URL(raw);
        base = new URL(`${opts.baseUrl()}/media/`);
      } catch {
        return null;
      }
      if (u.origin !== base.origin || u.username || u.password || !u.pathname.startsWith(base.pathname)) return null;
      let key: string;
      try {
        key = u.pathname.slice(base.pathname.length).split('/').map(decodeURIComponent).join('/');
      } catch {
        return null; // malformed percent-encoding: not a URL we made
      }
      const v = verify(key, u.searchParams.get('exp') ?? '', u.searchParams.get('sig') ?? '');
      return v === 'bad' ? null : { key, expired: v === 'expired' };
    },
    verify,
  };
}
