// WhatsApp Cloud API inbound, in-process mode (WEBHOOK_MODE=sync: 200 after commit). The scenario
// is in test/helpers/whatsapp-inbound-scenario.ts; the queued mode runs it in whatsapp-inbound-queued.test.ts.
import t from 'tap';
import { whatsappInboundScenario } from '../helpers/whatsapp-inbound-scenario.js';

await whatsappInboundScenario(t, 'sync');
