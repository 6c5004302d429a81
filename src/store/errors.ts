// Maps database failures that reach a request boundary to the error kinds clients understand.
import { ConflictError, UnavailableError, ValidationError, type AppError } from '../core/errors.js';

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  '57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '08001', '08004',
]);

export function translateDbError(err: unknown): AppError | undefined {
  const code = (err as { code?: string } | null)?.code;
  if (!code) return undefined;
  if (UNAVAILABLE_CODES.has(code)) return new UnavailableError('database unavailable, retry shortly', { cause: err });
  if (code === '57014') return new UnavailableError('database statement timed out', { cause: err });
  if (code === '40P01' || code === '40001') return new UnavailableError('write conflict, retry', { cause: err });
  if (code === '23505') return new ConflictError('already exists', { cause: err });
  if (code === '23503') return new ValidationError('refers to an object that does not exist');
  if (code === '23514') return new ValidationError(`a value breaks a rule (${(err as { constraint_name?: string }).constraint_name ?? 'check'})`);
  if (code === '22P02' || code === '22003' || code === '22007' || code === '22008') return new ValidationError('a value has the wrong format');
  return undefined;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint_name?: string } | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint_name === constraint);
}
