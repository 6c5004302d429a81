// Issue 3 — WhatsApp numbers to E.164: the spellings guests, providers and staff use.
import t from 'tap';
import { normalizePhone } from '../../../src/directory/phone.js';

const LONDON = '+442079460958';

t.test('international spellings', async (t) => {
  const cases: Array<[string, string]> = [
    ['+44 20 7946 0958', LONDON],
    ['+442079460958', LONDON],
    ['442079460958', LONDON], // providers send digits without the plus
    ['0044 20 7946 0958', LONDON], // international prefix
    ['00442079460958', LONDON],
    ['+44 (20) 7946-0958', LONDON],
    ['+44.20.7946.0958', LONDON],
    ['  +44 20 7946 0958  ', LONDON],
    ['+1 (212) 555-0100', '+12125550100'],
    ['1 212 555 0100', '+12125550100'],
    ['+91 98765 43210', '+919876543210'],
    ['919876543210', '+919876543210'],
    ['0091 98765 43210', '+919876543210'],
  ];
  for (const [input, want] of cases) t.equal(normalizePhone(input), want, JSON.stringify(input));
});

t.test('not phone numbers', async (t) => {
  for (const bad of ['', ' ', 'hello', '12', '0', '00', '+44 123', '+15550100', '++442079460958', 'abc+4420', '+44 20 7946 0958 ext 2', '1234567890123456', '+4420794609581234', '+0 123 456 789', '020 7946 0958']) {
    t.equal(normalizePhone(bad), null, JSON.stringify(bad));
  }
});

t.test('national forms with a default region', async (t) => {
  t.equal(normalizePhone('020 7946 0958', 'GB'), LONDON, 'GB national with trunk 0');
  t.equal(normalizePhone('07700 900123', 'GB'), '+447700900123', 'GB mobile');
  t.equal(normalizePhone('+44 20 7946 0958', 'GB'), LONDON, 'international still works');
  t.equal(normalizePhone('442079460958', 'GB'), LONDON, 'provider digits still work');
  t.equal(normalizePhone('0044 20 7946 0958', 'GB'), LONDON);
  // National forms without a trunk 0 (how US and Indian numbers are written at home).
  t.equal(normalizePhone('(212) 555-0100', 'US'), '+12125550100', 'US national form');
  t.equal(normalizePhone('212 555 0100', 'US'), '+12125550100', 'US national form without parentheses');
  t.equal(normalizePhone('98765 43210', 'IN'), '+919876543210', 'Indian mobile as written in India');
});

t.test('the result is always E.164 or null', async (t) => {
  for (const s of ['+44 20 7946 0958', '442079460958', '0044 20 7946 0958', '+1 212 555 0100', 'x', '']) {
    const n = normalizePhone(s);
    if (n !== null) t.match(n, /^\+[1-9]\d{6,14}$/, s);
  }
});
