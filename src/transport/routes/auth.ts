// Login, token refresh, logout and password change, as the dashboard calls them.
import type { AuthService } from '../../auth/service.js';
import { ChangePasswordBody, LoginBody, RefreshBody } from '../../protocol/rest/auth.js';
import * as r from '../../protocol/rest/replies.js';
import { presentUser } from '../presenters/directory.js';
import type { Route } from '../http/router.js';
import type { Kit } from './kit.js';

export function authRoutes(auth: AuthService, kit: Kit): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/login',
      doc: { summary: 'Sign in with username or email', body: LoginBody, responses: { 200: r.LoginReply } },
      handler: async (ctx) => {
        const body = await ctx.json(LoginBody);
        const r = await auth.login(body.username, body.password, ctx.ip);
        return { status: 200, body: { access: r.access, refresh: r.refresh, user: presentUser(r.user) } };
      },
    },
    {
      method: 'POST',
      path: '/api/login/refresh',
      doc: { summary: 'A new token pair for a refresh token (rotated: the old one stops working)', body: RefreshBody, responses: { 200: r.TokenPairReply } },
      handler: async (ctx) => {
        const body = await ctx.json(RefreshBody);
        return { status: 200, body: await auth.refresh(body.refresh) };
      },
    },
    kit.authed('POST', '/api/logout', async (ctx, user) => {
      const body = await ctx.json(RefreshBody);
      await auth.logout(body.refresh, user);
      return { status: 200, body: { success: true, message: 'Successfully logged out' } };
    }, { doc: { summary: 'Sign out: the refresh token stops working', body: RefreshBody, responses: { 200: r.LogoutReply } } }),
    kit.authed('POST', '/api/change-password', async (ctx, user) => {
      const body = await ctx.json(ChangePasswordBody);
      // Every earlier token of the user stops working; this device goes on with the new pair.
      const pair = await auth.changePassword(user, body.old_password, body.new_password);
      return { status: 200, body: { message: 'Password changed; sign in again on other devices.', ...pair } };
    }, { doc: { summary: 'Change the password: every other session ends', body: ChangePasswordBody, responses: { 200: r.ChangePasswordReply } } }),
  ];
}
