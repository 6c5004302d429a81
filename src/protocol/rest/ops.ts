// Wire shapes of the operator console's API (/api/ops/...).
import { Type } from 'typebox';
import { DEPARTMENTS } from '../../core/departments.js';

const strict = { additionalProperties: false } as const;
const Id = (description: string) => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });

/** A numeric id in the path (digits are turned into a number before validation). */
export const IdParam = Type.Object({ id: Id('a positive integer id') }, strict);

export const ListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, strict);

export const SimulatorSendBody = Type.Object(
  {
    guest_id: Id('a checked-in guest'),
    message: Type.String({ minLength: 1, maxLength: 4096, description: 'what the guest writes' }),
    department: Type.Optional(Type.Union(DEPARTMENTS.map((d) => Type.Literal(d)), { description: 'the department the guest writes to (default Reception)' })),
  },
  strict,
);

export const SimulatorReplyBody = Type.Object(
  {
    conversation_id: Id('the conversation to answer in'),
    message: Type.String({ minLength: 1, maxLength: 4096, description: 'the staff reply' }),
  },
  strict,
);
