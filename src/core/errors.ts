// One error class per failure kind. Each carries a stable code, the HTTP status it maps to and,
// for validation, the list of bad fields. Transports map these to responses or error frames; any
// other thrown value is an internal error (500, logged once at the boundary).

export type FieldProblems = Record<string, string>;

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(message: string, opts: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.details = opts.details;
  }
}

/** 400: the input is malformed; details maps every bad field to what is wrong with it. */
export class ValidationError extends AppError {
  readonly status = 400;
  readonly code = 'invalid_input';
  constructor(message: string, readonly fields: FieldProblems = {}) {
    super(message, { details: Object.keys(fields).length ? { fields } : undefined });
  }
  static of(fields: FieldProblems): ValidationError {
    const names = Object.keys(fields);
    const first = names[0];
    const message = names.length === 1 && first ? `${first}: ${fields[first]}` : `invalid fields: ${names.join(', ')}`;
    return new ValidationError(message, fields);
  }
}

/** 401: missing, malformed, expired or revoked credentials — nothing else. */
export class AuthError extends AppError {
  readonly status = 401;
  readonly code = 'unauthenticated';
}

/** 403: authenticated but not allowed (never used to hide another hotel's objects: that is a 404). */
export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code = 'forbidden';
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'not_found';
}

export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  constructor(readonly allow: string[]) {
    super(`method not allowed; use ${allow.join(', ')}`);
  }
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly code = 'conflict';
}

export class TooLargeError extends AppError {
  readonly status = 413;
  readonly code = 'too_large';
}

export class UnsupportedTypeError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

export class RateLimitedError extends AppError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(message: string, readonly retryAfterS: number) {
    super(message, { details: { retry_after: retryAfterS } });
  }
}

/** 503: this node is overloaded (full mailbox, full queue); the client should retry shortly. */
export class OverloadedError extends AppError {
  readonly status = 503;
  readonly code = 'overloaded';
  readonly retryAfterS = 1;
}

/** 503: a dependency (database, bus) is unreachable right now. */
export class UnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'unavailable';
  readonly retryAfterS = 2;
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
