// WhatsApp numbers are stored in E.164. Accepted spellings: "+44 20 7946 0958", "442079460958"
// (providers send digits without the plus), "0044 20…" (international prefix), and, when a default
// region is configured, national forms such as "020 7946 0958" or "(212) 555-0100".
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import { Lru } from '../util/lru.js';

// Parsing is the costliest step of a webhook after the database; numbers repeat constantly.
const cache = new Lru<string, string | null>(50_000);

export function normalizePhone(input: string, defaultRegion?: string): string | null {
  const cacheKey = `${defaultRegion ?? ''}|${input}`;
  const hit = cache.get(cacheKey);
  if (hit !== undefined) return hit;
  const result = parse(input, defaultRegion);
  cache.set(cacheKey, result);
  return result;
}

function parse(input: string, defaultRegion?: string): string | null {
  const raw = input.trim();
  if (!/^[+\d(][\d\s().\-/]*$/.test(raw)) return null;
  const digits = raw.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return null;
  const parsed: PhoneNumber[] = [];
  const tryParse = (text: string, region?: string) => {
    const p = parsePhoneNumberFromString(text, region as CountryCode | undefined);
    if (p) parsed.push(p);
  };
  if (raw.startsWith('+')) tryParse(`+${digits}`);
  else if (digits.startsWith('00')) tryParse(`+${digits.slice(2)}`);
  else {
    if (defaultRegion) tryParse(raw, defaultRegion);
    tryParse(`+${digits}`);
  }
  // A valid number wins over one that merely has a possible length.
  const best = parsed.find((p) => p.isValid()) ?? parsed.find((p) => p.isPossible());
  return best ? best.number : null;
}
