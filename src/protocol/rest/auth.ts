// Wire shapes of login, refresh, logout and password change (as the dashboard sends them).
import { Type } from 'typebox';

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 254, description: 'username or email' }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object({ refresh: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false });

export const ChangePasswordBody = Type.Object(
  {
    old_password: Type.String({ minLength: 1, maxLength: 256 }),
    new_password: Type.String({ minLength: 8, maxLength: 256, description: 'at least 8 characters' }),
  },
  { additionalProperties: false },
);
