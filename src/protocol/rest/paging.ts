// DRF-style pages: {count, next, previous, results}, with page / page_size in the query.
import { Type } from 'typebox';

export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'page number, from 1' })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'items per page, at most 100' })),
};

export interface PageParams {
  page: number;
  size: number;
  limit: number;
  offset: number;
}

export function pageParams(q: { page?: number | undefined; page_size?: number | undefined }, defaultSize = 20): PageParams {
  const page = q.page ?? 1;
  const size = q.page_size ?? defaultSize;
  return { page, size, limit: size, offset: (page - 1) * size };
}

export interface PageBody<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Resolves relative links; never shown (relative links keep only path and query). */
const NO_HOST = 'http://relative.invalid';

/**
 * self: this request as an absolute URL on the configured public base, or as a path with its
 * query — then next/previous are relative too. Never built from the request's Host header.
 */
export function pageBody<T>(self: URL | string, p: PageParams, count: number, results: T[]): PageBody<T> {
  const link = (page: number) => {
    const u = new URL(self, NO_HOST);
    u.searchParams.set('page', String(page));
    return typeof self === 'string' ? `${u.pathname}${u.search}` : u.toString();
  };
  return {
    count,
    next: p.offset + results.length < count ? link(p.page + 1) : null,
    previous: p.page > 1 ? link(p.page - 1) : null,
    results,
  };
}
