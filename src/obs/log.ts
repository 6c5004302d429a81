// One pino logger per process. Redaction is structural (paths below) so a token, password or
// secret never reaches a log line even when a caller logs a whole object by mistake.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'password', '*.password', 'new_password', '*.new_password', 'old_password', '*.old_password',
  'token', '*.token', 'access', '*.access', 'refresh', '*.refresh',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'secret', '*.secret', 'jwtSecret', '*.jwtSecret', 'password_hash', '*.password_hash',
  'app_secret', '*.app_secret', 'verify_token', '*.verify_token', 'access_token', '*.access_token',
  'x-hub-signature-256', '*["x-hub-signature-256"]',
];

export function createLogger(opts: { level: string; nodeId: string }): Logger {
  return pino({
    level: opts.level,
    base: { node: opts.nodeId },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/**
 * A request URL fit for a log line: the query string is dropped whole (tokens, signatures and
 * guest numbers travel there) and the guest's phone number in /ws/guest/<number>/ is redacted.
 */
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path.replace(/^(\/+ws\/+guest\/+)[^/]+/i, '$1[redacted]');
}

export function safeServerUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
}
