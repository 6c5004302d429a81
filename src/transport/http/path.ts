// Path parameters arrive percent-encoded; a malformed escape (`%E0%A4%A`) is the client's mistake.
import { ValidationError } from '../../core/errors.js';

/** Decodes one path segment, or throws a 400 naming `name`. */
export function decodeSegment(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (err) {
    if (!(err instanceof URIError)) throw err;
    throw ValidationError.of({ [name]: 'has malformed percent-encoding' });
  }
}

/** Decodes each /-separated segment of a wildcard path (an encoded %2F stays inside its segment). */
export function decodeSegments(raw: string, name: string): string[] {
  return raw.split('/').map((s) => decodeSegment(s, name));
}

/**
 * `raw` without leading and trailing slashes, in one linear pass (the regex /\/+$/ is quadratic
 * on a long run of slashes that does not end the string).
 */
export function trimSlashes(raw: string): string {
  let start = 0;
  let end = raw.length;
  while (start < end && raw.charCodeAt(start) === 47) start++;
  while (end > start && raw.charCodeAt(end - 1) === 47) end--;
  return raw.slice(start, end);
}
