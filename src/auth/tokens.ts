// JWTs with jose. Access and refresh tokens are HS256 with the configured secret and carry the
// claims the original SimpleJWT tokens had (token_type, user_id as a string, jti, exp, iat).
// Access tokens also name their session (sid: the refresh-token family of the login) and the
// user's token_version when issued (ver), so a logout or a new password can end them early.
// Optionally, access tokens signed by a single-sign-on provider are verified against its JWKS.
import { createHmac, createSecretKey, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../config/load.js';
import { AuthError } from '../core/errors.js';

/** A local access token's user, the token_version it was issued at (0 if absent) and its session. */
export type AccessIdentity =
  | { kind: 'local'; userId: number; version: number; session: string | null }
  | { kind: 'sso'; field: 'email' | 'username'; login: string };

/** Which session an access token belongs to and the user's token_version when it was issued. */
export interface AccessSession {
  version: number;
  session: string;
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function jsonPart(part: string): Record<string, unknown> | null {
  if (!B64URL.test(part)) return null;
  try {
    const v = JSON.parse(utf8.decode(Buffer.from(part, 'base64url'))) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Our own HS256 tokens, verified synchronously with node:crypto: jose's path imports the key and
 * runs an asynchronous WebCrypto job for every token, which is most of what a reconnect storm of
 * sockets costs. Same rules as jose's jwtVerify with { issuer, algorithms: ['HS256'] }: header
 * alg HS256 and no `crit`; the signature compared in constant time against its canonical
 * base64url; a JSON object payload whose iss matches, iat/nbf/exp numbers when present, nbf not in
 * the future and exp in the future (whole seconds, no tolerance). Null when anything fails.
 */
export function verifyHs256(token: string, key: KeyObject, issuer: string, nowS = Math.floor(Date.now() / 1000)): Record<string, unknown> | null {
  const a = token.indexOf('.');
  const b = token.indexOf('.', a + 1);
  if (a <= 0 || b <= a + 1 || b === token.length - 1 || token.indexOf('.', b + 1) !== -1) return null;
  const header = jsonPart(token.slice(0, a));
  if (!header || header['alg'] !== 'HS256' || header['crit'] !== undefined || header['b64'] !== undefined) return null;
  const sig = token.slice(b + 1);
  const want = createHmac('sha256', key).update(token.slice(0, b)).digest('base64url');
  if (sig.length !== want.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(want))) return null;
  const claims = jsonPart(token.slice(a + 1, b));
  if (!claims || claims['iss'] !== issuer) return null;
  for (const c of ['iat', 'nbf', 'exp']) if (claims[c] !== undefined && typeof claims[c] !== 'number') return null;
  if (typeof claims['nbf'] === 'number' && claims['nbf'] > nowS) return null;
  if (typeof claims['exp'] === 'number' && claims['exp'] <= nowS) return null;
  return claims;
}

export class TokenService {
  private readonly key: Uint8Array;
  private readonly hmacKey: KeyObject;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | null;

  constructor(private readonly cfg: Config['auth']) {
    this.key = new TextEncoder().encode(cfg.jwtSecret);
    this.hmacKey = createSecretKey(this.key);
    this.jwks = cfg.jwks ? createRemoteJWKSet(new URL(cfg.jwks.url), { cooldownDuration: 30_000, cacheMaxAge: 600_000 }) : null;
  }

  private sign(claims: JWTPayload, ttlS: number, jti = randomUUID()): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.cfg.issuer)
      .setIssuedAt()
      .setJti(jti)
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlS)
      .sign(this.key);
  }

  signAccess(userId: number, s?: AccessSession): Promise<string> {
    const session = s ? { ver: s.version, sid: s.session } : {};
    return this.sign({ token_type: 'access', user_id: String(userId), sub: String(userId), ...session }, this.cfg.accessTtlS);
  }

  async signRefresh(userId: number, family: string): Promise<{ token: string; jti: string; expiresAt: Date }> {
    const jti = randomUUID();
    const token = await this.sign({ token_type: 'refresh', user_id: String(userId), sub: String(userId), fam: family }, this.cfg.refreshTtlS, jti);
    return { token, jti, expiresAt: new Date(Date.now() + this.cfg.refreshTtlS * 1000) };
  }

  /** A token for the guest socket of one guest (by id and number). */
  signGuest(guestId: number, number: string): Promise<string> {
    return this.sign({ token_type: 'guest', sub: `guest:${guestId}`, guest_id: guestId, num: number }, this.cfg.guestTtlS);
  }

  private async verifyLocal(token: string, type: string): Promise<JWTPayload> {
    const payload = verifyHs256(token, this.hmacKey, this.cfg.issuer);
    if (!payload || payload['token_type'] !== type) throw new AuthError('Invalid authentication credentials.');
    return payload as JWTPayload;
  }

  async verifyAccess(token: string): Promise<AccessIdentity> {
    // Only a node that also accepts single sign-on needs the header first; verifyHs256 checks
    // the algorithm itself (decoding the header twice cost every request and socket a few µs).
    if (this.jwks && this.cfg.jwks && this.algOf(token) !== 'HS256') {
      try {
        const { payload } = await jwtVerify(token, this.jwks, {
          issuer: this.cfg.jwks.issuer || undefined,
          audience: this.cfg.jwks.audience || undefined,
        });
        const login = payload[this.cfg.jwks.userClaim];
        if (typeof login !== 'string' || !login) throw new AuthError(`token lacks the ${this.cfg.jwks.userClaim} claim`);
        return { kind: 'sso', field: this.cfg.jwks.userClaim === 'email' ? 'email' : 'username', login };
      } catch (err) {
        if (err instanceof AuthError) throw err;
        throw new AuthError('Invalid authentication credentials.', { cause: err });
      }
    }
    const p = await this.verifyLocal(token, 'access');
    const id = Number(p['user_id']);
    const version = p['ver'] ?? 0;
    const session = p['sid'] ?? null;
    if (!Number.isSafeInteger(id) || !Number.isSafeInteger(version) || (session !== null && typeof session !== 'string')) {
      throw new AuthError('Invalid authentication credentials.');
    }
    return { kind: 'local', userId: id, version: version as number, session: session as string | null };
  }

  private algOf(token: string): string | undefined {
    try {
      return decodeProtectedHeader(token).alg;
    } catch (err) {
      throw new AuthError('Invalid authentication credentials.', { cause: err });
    }
  }

  async verifyRefresh(token: string): Promise<{ userId: number; jti: string; family: string }> {
    const p = await this.verifyLocal(token, 'refresh');
    const userId = Number(p['user_id']);
    if (!Number.isSafeInteger(userId) || typeof p.jti !== 'string' || typeof p['fam'] !== 'string') {
      throw new AuthError('Invalid authentication credentials.');
    }
    return { userId, jti: p.jti, family: p['fam'] };
  }

  async verifyGuest(token: string): Promise<{ guestId: number; number: string }> {
    const p = await this.verifyLocal(token, 'guest');
    const guestId = Number(p['guest_id']);
    if (!Number.isSafeInteger(guestId) || typeof p['num'] !== 'string') throw new AuthError('Invalid authentication credentials.');
    return { guestId, number: p['num'] };
  }
}
