import { ConflictError, ValidationError } from '../core/errors.js';
import type { Sql } from '../store/db.js';
import { isUniqueViolation } from '../store/errors.js';
import { insertUser } from '../store/users.js';
import type { CpuPool } from '../workers/pool.js';

export async function createSuperuser(sql: Sql, cpu: Pick<CpuPool, 'hashPassword'>, input: { username: string; email: string; password: string }): Promise<number> {
  const problems: Record<string, string> = {};
  if (!/^[\w.@+-]{1,150}$/.test(input.username)) problems['username'] = 'use 1-150 letters, digits or @.+-_';
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(input.email)) problems['email'] = 'is not an email address';
  if (input.password.length < 8) problems['password'] = 'must be at least 8 characters';
  if (Object.keys(problems).length) throw ValidationError.of(problems);
  try {
    return await insertUser(sql, {
      username: input.username,
      email: input.email,
      password_hash: await cpu.hashPassword(input.password),
      first_name: '',
      last_name: '',
      phone_number: '',
      user_type: 'platform_admin',
      hotel_id: null,
      departments: [],
      created_by: null,
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`a user with username "${input.username}" or email "${input.email}" already exists`);
    throw err;
  }
}
