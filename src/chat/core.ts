// The chat core's entrances, each a small module: transports and jobs take the one they use.
import type { GuestMessages } from './commands/guest-message.js';
import type { GuestSocketCommands } from './commands/guest-socket.js';
import type { StaffCommands } from './commands/staff.js';
import type { SystemCommands } from './commands/system.js';
import type { ChatQueries } from './queries.js';

export interface ChatCore {
  guestMessages: GuestMessages;
  guestSocket: GuestSocketCommands;
  staff: StaffCommands;
  system: SystemCommands;
  queries: ChatQueries;
}
