// Staff sockets: /ws/chat/ (all of the caller's departments — what the dashboard opens) and
// /ws/chat/<department>/ (one department, as in the seed). The socket subscribes to the uWS topics
// of its departments; events arrive through the department actors' relay, never a per-socket loop.
import type { AuthService } from '../../auth/service.js';
import type { DepartmentActor } from '../../chat/department-actor.js';
import type { SubjectRelay } from '../../chat/delivery/relay.js';
import type { ChatCore } from '../../chat/core.js';
import { staffName } from '../../chat/rules.js';
import type { Registry } from '../../actors/registry.js';
import { canonicalDepartment, type Department } from '../../core/departments.js';
import type { ChatUser, User } from '../../core/directory.js';
import { effectiveDepartments, isChatStaff } from '../../directory/roles.js';
import { LOW, subjects } from '../../fanout/subjects.js';
import type { Logger } from '../../obs/log.js';
import { AuthError, ForbiddenError, NotFoundError } from '../../core/errors.js';
import type { TokenBucket } from '../../util/rate-limit.js';
import { Interner } from '../../util/intern.js';
import type { MediaUrl } from '../../chat/message-frame.js';
import type { SocketEndpoint } from '../server.js';
import type { WebSocket } from '../uws.js';
import { handleStaffFrame } from './staff-frames.js';
import type { SocketHub, SocketState } from './hub.js';
import { decodeSegment, trimSlashes } from '../http/path.js';
import { upgradeHandler, type UpgradeDeps } from './upgrade.js';
import { freshSocketState, socketBehavior, type SocketLimits } from './behavior.js';

export interface StaffSocketState extends SocketState {
  kind: 'staff';
  user: ChatUser;
  name: string;
  departments: Department[];
  /** Conversations the socket subscribed to (created with the first: most sockets have none). */
  conversations: Set<number> | null;
  bucket: TokenBucket | null;
}

export interface StaffSocketDeps {
  auth: AuthService;
  chat: Pick<ChatCore, 'staff' | 'queries'>;
  departments: Registry<DepartmentActor>;
  relay: SubjectRelay;
  hub: SocketHub;
  log: Logger;
  upgrade: UpgradeDeps;
  limits: SocketLimits;
  mediaUrl: MediaUrl;
}

const PREFIX = '/ws/chat';

// Hotel ids, user types and department lists repeat across sockets: one copy each per node.
const strings = new Interner<string>();
const departmentLists = new Interner<Department[]>(1000);

/**
 * What the socket keeps of its user: only what chat commands read (ChatUser), with the repeating
 * values shared. The row as read holds about 0.6 KB more (email, phone, hotel name, three dates).
 */
function socketUser(user: User): ChatUser {
  return {
    id: user.id,
    username: user.username,
    first_name: user.first_name,
    last_name: user.last_name,
    user_type: strings.of(user.user_type, user.user_type) as User['user_type'],
    hotel_id: user.hotel_id === null ? null : strings.of(user.hotel_id, user.hotel_id),
    departments: sharedDepartments(user.departments),
  };
}

function sharedDepartments(list: Department[]): Department[] {
  // Canonical names are the module's constants; the list itself is shared by its spelling, and
  // frozen: a change made through one socket's state must fail, not reach the other sockets.
  const canonical = list.map((d) => canonicalDepartment(d) ?? d);
  return departmentLists.of(canonical.join('\n'), Object.freeze(canonical) as Department[]);
}

async function authorize(deps: StaffSocketDeps, url: string, token: string | null): Promise<Omit<StaffSocketState, keyof ReturnType<typeof freshSocketState> | 'conversations'>> {
  if (!token) throw new AuthError('Authentication credentials were not provided (Sec-WebSocket-Protocol: bearer, <token>; Authorization: Bearer; or ?token=).');
  const user = socketUser(await deps.auth.authenticateFresh(token));
  if (!isChatStaff(user)) throw new ForbiddenError('Only staff members (department staff, receptionists, managers, hotel admins) can open chat sockets.');
  let departments = sharedDepartments(effectiveDepartments(user));
  const segment = decodeSegment(trimSlashes(url.slice(PREFIX.length)), 'department');
  if (segment) {
    const d = canonicalDepartment(segment);
    if (!d) throw new NotFoundError(`unknown department "${segment}"`);
    if (!departments.includes(d)) throw new ForbiddenError(`You are not in the ${d} department`);
    departments = sharedDepartments([d]);
  }
  if (departments.length === 0) throw new ForbiddenError('You are not assigned to any department');
  return { kind: 'staff', userId: user.id, hotelId: user.hotel_id!, user, name: staffName(user), departments };
}

export function staffSocketEndpoints(deps: StaffSocketDeps): SocketEndpoint[] {
  const behavior = socketBehavior<StaffSocketState>({
    limits: deps.limits,
    hub: deps.hub,
    log: deps.log,
    upgrade: upgradeHandler(deps.upgrade, deps.hub, async (r) => {
      const base = await authorize(deps, r.url, r.token);
      return { ...base, ...freshSocketState(deps.hub, deps.limits), conversations: null } satisfies StaffSocketState;
    }),
    open(ws) {
      const s = ws.getUserData();
      const hotelId = s.user.hotel_id!;
      for (const d of s.departments) {
        // The actor's topic strings: one copy per department, not one per socket.
        const dept = deps.departments.get(`${hotelId}:${d}`);
        ws.subscribe(dept.subject);
        deps.hub.subscribeLow(ws, dept.lowSubject);
        dept.attach(s.userId, s.name);
      }
    },
    message(ws, frame) {
      return handleStaffFrame(ws as WebSocket<StaffSocketState>, frame, deps);
    },
    close(ws) {
      const s = ws.getUserData();
      const hotelId = s.user.hotel_id!;
      for (const d of s.departments) deps.departments.peek(`${hotelId}:${d}`)?.detach(s.userId, s.name);
      if (s.conversations) for (const id of s.conversations) deps.relay.release(subjects.conversation(hotelId, id));
      s.conversations = null;
    },
  });
  return [
    { pattern: PREFIX, behavior },
    { pattern: `${PREFIX}/*`, behavior },
  ];
}
