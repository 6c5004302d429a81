// A small JSON client over fetch for tests.
export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function request<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string | Uint8Array } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  let body: string | Uint8Array | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export function client(base: string, token?: string) {
  return {
    get: <T = any>(path: string, o: { token?: string } = {}) => request<T>(base, 'GET', path, { token: o.token ?? token }),
    post: <T = any>(path: string, body?: unknown, o: { token?: string; headers?: Record<string, string> } = {}) =>
      request<T>(base, 'POST', path, { body, token: o.token ?? token, headers: o.headers }),
    patch: <T = any>(path: string, body?: unknown, o: { token?: string } = {}) => request<T>(base, 'PATCH', path, { body, token: o.token ?? token }),
    put: <T = any>(path: string, body?: unknown, o: { token?: string } = {}) => request<T>(base, 'PUT', path, { body, token: o.token ?? token }),
    del: <T = any>(path: string, o: { token?: string } = {}) => request<T>(base, 'DELETE', path, { token: o.token ?? token }),
  };
}
