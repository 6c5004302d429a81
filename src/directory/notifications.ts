// A user's notification inbox: each user sees and marks only their own entries.
import { NotFoundError } from '../core/errors.js';
import type { Notification, User } from '../core/directory.js';
import type { Page, Paged } from '../core/paging.js';
import type { Sql } from '../store/db.js';
import * as store from '../store/notifications.js';

export class NotificationService {
  constructor(private readonly sql: Sql) {}

  list(user: User, f: { unread?: boolean }, page: Page): Promise<Paged<Notification>> {
    return store.listNotifications(this.sql, user.id, f, page);
  }

  async markRead(user: User, id: number): Promise<void> {
    if (!(await store.markNotificationRead(this.sql, user.id, id))) throw new NotFoundError('Notification not found');
  }

  /** How many entries were unread. */
  markAllRead(user: User): Promise<number> {
    return store.markAllNotificationsRead(this.sql, user.id);
  }
}
