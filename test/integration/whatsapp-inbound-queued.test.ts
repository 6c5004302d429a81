// WhatsApp Cloud API inbound, queued mode (NATS; 200 after the JetStream publishes of the jobs).
import t from 'tap';
import { whatsappInboundScenario } from '../helpers/whatsapp-inbound-scenario.js';

await whatsappInboundScenario(t, 'queued');
