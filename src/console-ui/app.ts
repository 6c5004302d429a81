// The operator console in the browser: signs in with the normal login API, then polls /api/ops/*
// and draws tables and small canvas charts. Every value from the server is written with
// textContent (never parsed as HTML).

export {};

interface Tokens { access: string; refresh: string }
interface NodeRow {
  node: string; version: string; started_at: number; at: number; sockets: number;
  actors: { conversation: number; department: number }; lag_p99_ms: number; lag_max_ms: number;
  rss_bytes: number; heap_bytes: number; ready: string; lacking: string[]; degraded: string[]; stale: boolean;
}
interface TrafficPoint {
  t: number; stored_per_s: number; delivered_per_s: number;
  webhook_p50_ms: number | null; webhook_p99_ms: number | null; socket_p50_ms: number | null; socket_p99_ms: number | null;
}
interface JobRow { kind: string; depth: number; per_s: number; failures_per_min: number; done: number; retry: number; dead: number; stalled: number }
interface Overview {
  node: string; scope: 'platform' | 'hotel'; hotel_id: string | null; simulator: boolean;
  user: { username: string; user_type: string };
  nodes: NodeRow[] | null; traffic: TrafficPoint[] | null; jobs: JobRow[] | null;
}
interface DeadLetter { id: number; kind: string; job_id: string; failed_at: string; deliveries: number; reason: string }
interface EventRow { seq: number; sender_type: string; message_type: string; content: string; delivery_status: string | null; created_at: string }
interface Conversation { id: number; department: string; status: string; last_seq: number; guest_name: string; guest_number: string }
interface Guest { guest_id: number; full_name: string; whatsapp_number: string; hotel_name: string; room: string | null; channel: string | null }

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const POLL_MS = 2000;
const STORE = 'lobbybee-console-tokens';

let tokens: Tokens | null = JSON.parse(sessionStorage.getItem(STORE) ?? 'null') as Tokens | null;
let timer: number | undefined;
let simTimer: number | undefined;
let simConversation: number | null = null;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function api<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (tokens) headers['authorization'] = `Bearer ${tokens.access}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401 && tokens && !retried && path !== '/api/login') {
    const r = await fetch('/api/login/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh: tokens.refresh }) });
    if (r.ok) {
      setTokens((await r.json()) as Tokens);
      return api<T>(method, path, body, true);
    }
    signOut();
  }
  const data = (await res.json().catch(() => ({}))) as { error?: string; details?: unknown };
  if (!res.ok) throw new HttpError(res.status, `${data.error ?? res.statusText}${data.details ? `: ${JSON.stringify(data.details)}` : ''}`);
  return data as T;
}

function setTokens(t: Tokens | null): void {
  tokens = t;
  if (t) sessionStorage.setItem(STORE, JSON.stringify(t));
  else sessionStorage.removeItem(STORE);
}

function el(tag: string, text?: string | number | null, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells: Array<string | number | HTMLElement | null>, attrs: Record<string, string> = {}): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof HTMLElement) td.append(c);
    else td.textContent = c === null ? '–' : String(c);
    tr.append(td);
  }
  return tr;
}

function fill(tableId: string, rows: HTMLTableRowElement[], empty: string, cols: number): void {
  const body = $(tableId).querySelector('tbody')!;
  if (rows.length === 0) {
    const td = el('td', empty, 'empty');
    td.setAttribute('colspan', String(cols));
    const tr = document.createElement('tr');
    tr.append(td);
    body.replaceChildren(tr);
  } else body.replaceChildren(...rows);
}

const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
const time = (iso: string) => new Date(iso).toLocaleTimeString();

function chart(id: string, points: TrafficPoint[], a: (p: TrafficPoint) => number | null, b: (p: TrafficPoint) => number | null, legend: [string, string]): void {
  const canvas = $<HTMLCanvasElement>(id);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  const values = points.flatMap((p) => [a(p), b(p)]).filter((v): v is number => v !== null && Number.isFinite(v));
  const max = Math.max(1, ...values) * 1.1;
  const t0 = points[0]?.t ?? 0;
  const t1 = points[points.length - 1]?.t ?? 1;
  const x = (t: number) => (t1 === t0 ? w - 4 : 4 + ((t - t0) / (t1 - t0)) * (w - 8));
  const y = (v: number) => h - 14 - (v / max) * (h - 24);
  ctx.strokeStyle = '#e3e6ea';
  ctx.fillStyle = '#6b7280';
  ctx.font = '10px system-ui';
  for (const f of [0, 0.5, 1]) {
    const v = (max / 1.1) * f;
    ctx.beginPath();
    ctx.moveTo(0, y(v));
    ctx.lineTo(w, y(v));
    ctx.stroke();
    ctx.fillText(v >= 10 ? v.toFixed(0) : v.toFixed(2), 2, y(v) - 2);
  }
  const line = (f: (p: TrafficPoint) => number | null, color: string) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let started = false;
    for (const p of points) {
      const v = f(p);
      if (v === null || !Number.isFinite(v)) continue;
      if (started) ctx.lineTo(x(p.t), y(v));
      else ctx.moveTo(x(p.t), y(v));
      started = true;
    }
    ctx.stroke();
  };
  line(a, '#2563eb');
  line(b, '#db2777');
  const last = points[points.length - 1];
  const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '–' : String(v));
  const lg = $(`legend-${id.slice(6)}`);
  lg.replaceChildren(el('span', `■ ${legend[0]} ${fmt(last ? a(last) : null)}`, 'a'), document.createTextNode('  '), el('span', `■ ${legend[1]} ${fmt(last ? b(last) : null)}`, 'b'));
}

function renderOverview(o: Overview): void {
  $('who').replaceChildren(
    el('span', `${o.user.username} (${o.scope === 'platform' ? 'platform administrator' : 'hotel administrator'}) · served by ${o.node}`),
    signOutButton(),
  );
  for (const id of ['cluster-card', 'traffic-card', 'jobs-card']) $(id).hidden = o.scope !== 'platform';
  $('simulator-card').hidden = !o.simulator;
  if (o.nodes) {
    fill('nodes', o.nodes.map((n) => {
      const ready = el('span', n.stale ? 'no heartbeat' : n.ready, `pill ${n.stale ? 'stale' : n.ready}`);
      const lacking = n.lacking.length ? ` lacks ${n.lacking.join(', ')}` : '';
      const cell = el('span');
      cell.append(ready, document.createTextNode(lacking));
      if (n.degraded.length) cell.title = `degraded: ${n.degraded.join(', ')}`;
      return row([n.node, n.version, uptime(n.at - n.started_at), n.sockets, `${n.actors.conversation} conv · ${n.actors.department} dept`, `${n.lag_p99_ms} ms (max ${n.lag_max_ms})`, mb(n.rss_bytes), cell], { 'data-node': n.node });
    }), 'No heartbeat yet', 8);
  }
  if (o.traffic) {
    const pts = o.traffic;
    chart('chart-rate', pts, (p) => p.stored_per_s, (p) => p.delivered_per_s, ['stored', 'delivered']);
    chart('chart-webhook', pts, (p) => p.webhook_p50_ms, (p) => p.webhook_p99_ms, ['p50', 'p99']);
    chart('chart-socket', pts, (p) => p.socket_p50_ms, (p) => p.socket_p99_ms, ['p50', 'p99']);
  }
  if (o.jobs) {
    fill('jobs', o.jobs.map((j) => row([j.kind, j.depth, j.per_s, j.failures_per_min, j.done, j.retry, j.dead, j.stalled], { 'data-kind': j.kind })), 'No background work yet', 8);
  }
}

function signOutButton(): HTMLElement {
  const b = el('button', 'Sign out', 'secondary');
  b.addEventListener('click', () => {
    if (tokens) void fetch('/api/logout', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.access}` }, body: JSON.stringify({ refresh: tokens.refresh }) });
    signOut();
  });
  return b;
}

async function act(id: number, action: 'retry' | 'discard'): Promise<void> {
  try {
    await api('POST', `/api/ops/dead-letters/${id}/${action}`);
    status(`Dead letter ${id}: ${action === 'retry' ? 'enqueued again' : 'discarded'}`);
  } catch (e) {
    status(`Dead letter ${id}: ${(e as Error).message}`, true);
  }
  await refreshDeadLetters();
}

async function refreshDeadLetters(): Promise<void> {
  const d = await api<{ total: number; dead_letters: DeadLetter[] }>('GET', '/api/ops/dead-letters?limit=50');
  $('dead-total').textContent = d.total ? `${d.total} open` : '';
  fill('dead', d.dead_letters.map((x) => {
    const buttons = el('span');
    const retry = el('button', 'Retry');
    retry.addEventListener('click', () => void act(x.id, 'retry'));
    const discard = el('button', 'Discard', 'danger');
    discard.addEventListener('click', () => void act(x.id, 'discard'));
    buttons.append(retry, document.createTextNode(' '), discard);
    const reason = el('span', x.reason);
    const tr = row([x.id, x.kind, time(x.failed_at), x.deliveries, reason, buttons], { 'data-dead-letter': String(x.id) });
    tr.children[4]!.className = 'wrap';
    return tr;
  }), 'No dead letters', 6);
}

async function refreshHotels(): Promise<void> {
  const h = await api<{ hotels: Array<{ hotel_id: string; name: string; staff_sockets: number; guest_sockets: number; active_conversations: number; departments: Record<string, { sockets: number; active_conversations: number }> }> }>('GET', '/api/ops/hotels');
  fill('hotels', h.hotels.map((x) => {
    const depts = Object.entries(x.departments).map(([d, v]) => `${d} ${v.sockets}/${v.active_conversations}`).join(' · ');
    const tr = row([x.name, x.staff_sockets, x.guest_sockets, x.active_conversations, depts], { 'data-hotel': x.hotel_id });
    tr.children[4]!.className = 'wrap';
    return tr;
  }), 'No hotel has sockets or active conversations', 5);
}

function eventsTable(events: EventRow[]): HTMLTableElement {
  const t = document.createElement('table');
  const head = row(['Seq', 'From', 'Type', 'Delivery', 'At', 'Text']);
  head.querySelectorAll('td').forEach((td) => {
    const th = el('th', td.textContent);
    td.replaceWith(th);
  });
  t.append(head, ...events.map((e) => {
    const tr = row([e.seq, e.sender_type, e.message_type, e.delivery_status, time(e.created_at), e.content], { 'data-seq': String(e.seq) });
    tr.children[5]!.className = 'wrap';
    return tr;
  }));
  return t;
}

async function lookup(id: number): Promise<void> {
  const target = $('lookup');
  try {
    const r = await api<{ conversation: Conversation; events: EventRow[] }>('GET', `/api/ops/conversations/${id}?limit=50`);
    const c = r.conversation;
    target.replaceChildren(el('p', `#${c.id} · ${c.guest_name} (${c.guest_number}) · ${c.department} · ${c.status} · last seq ${c.last_seq}`), eventsTable(r.events));
  } catch (e) {
    target.replaceChildren(el('p', (e as Error).message, 'error'));
  }
}

async function loadGuests(): Promise<void> {
  const r = await api<{ guests: Guest[] }>('GET', '/api/ops/simulator/guests');
  const sel = $<HTMLSelectElement>('sim-guest');
  const keep = sel.value;
  sel.replaceChildren(...r.guests.map((g) => {
    const o = el('option', `${g.full_name} · ${g.whatsapp_number} · ${g.hotel_name}${g.room ? ` room ${g.room}` : ''}${g.channel ? '' : ' (no channel)'}`) as HTMLOptionElement;
    o.value = String(g.guest_id);
    return o;
  }));
  if (keep && r.guests.some((g) => String(g.guest_id) === keep)) sel.value = keep;
  if (r.guests.length === 0) sel.append(el('option', 'No checked-in guest (run the demo seed)'));
  await refreshThread();
}

async function refreshThread(): Promise<void> {
  const guestId = Number($<HTMLSelectElement>('sim-guest').value);
  if (!Number.isSafeInteger(guestId) || guestId <= 0) return;
  const r = await api<{ conversations: Array<{ conversation: Conversation; events: EventRow[] }> }>('GET', `/api/ops/simulator/guests/${guestId}/thread`);
  const latest = r.conversations[0];
  simConversation = latest?.conversation.id ?? null;
  const events = latest?.events ?? [];
  $('sim-guest-thread').replaceChildren(...(events.length ? events.filter((e) => e.sender_type !== 'system').map((e) => {
    const b = el('div', e.content, `bubble ${e.sender_type}`);
    b.setAttribute('data-seq', String(e.seq));
    b.append(el('small', `${e.sender_type === 'guest' ? 'you' : 'hotel'} · ${time(e.created_at)}${e.delivery_status ? ` · ${e.delivery_status}` : ''}`));
    return b;
  }) : [el('p', 'No active conversation yet: write a message.', 'empty')]));
  $('sim-conv').textContent = latest ? `conversation #${latest.conversation.id} · ${latest.conversation.department}` : '';
  fill('sim-events', events.map((e) => {
    const tr = row([e.seq, e.sender_type, e.message_type, e.delivery_status, e.content], { 'data-seq': String(e.seq), 'data-sender': e.sender_type });
    tr.children[4]!.className = 'wrap';
    return tr;
  }), 'Nothing yet', 5);
}

function status(text: string, bad = false): void {
  const s = $('status');
  s.textContent = `${new Date().toLocaleTimeString()} · ${text}`;
  s.className = bad ? 'status error' : 'status';
}

async function poll(): Promise<void> {
  try {
    const o = await api<Overview>('GET', '/api/ops/overview');
    renderOverview(o);
    await Promise.all([refreshDeadLetters(), refreshHotels()]);
    status(`updated (every ${POLL_MS / 1000}s)`);
  } catch (e) {
    if (e instanceof HttpError && e.status === 403) {
      signOut();
      $('login-error').textContent = e.message;
      return;
    }
    status((e as Error).message, true);
  }
}

function start(): void {
  $('login').hidden = true;
  $('app').hidden = false;
  void poll().then(() => {
    if (!$('simulator-card').hidden) {
      void loadGuests().catch((e: Error) => status(e.message, true));
      simTimer = window.setInterval(() => void refreshThread().catch(() => undefined), 1000);
    }
  });
  timer = window.setInterval(() => void poll(), POLL_MS);
}

function signOut(): void {
  setTokens(null);
  window.clearInterval(timer);
  window.clearInterval(simTimer);
  $('app').hidden = true;
  $('login').hidden = false;
  $('who').replaceChildren();
}

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const username = $<HTMLInputElement>('login-username').value;
  const password = $<HTMLInputElement>('login-password').value;
  $('login-error').textContent = '';
  void api<Tokens & { user: { user_type: string } }>('POST', '/api/login', { username, password })
    .then((r) => {
      if (r.user.user_type !== 'platform_admin' && r.user.user_type !== 'hotel_admin') throw new Error('The console is for platform and hotel administrators.');
      setTokens({ access: r.access, refresh: r.refresh });
      start();
    })
    .catch((e: Error) => ($('login-error').textContent = e.message));
});

$('lookup-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void lookup(Number($<HTMLInputElement>('lookup-id').value));
});

$('sim-guest').addEventListener('change', () => void refreshThread());

$('sim-send-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = $<HTMLInputElement>('sim-message');
  const guestId = Number($<HTMLSelectElement>('sim-guest').value);
  void api<{ mode: string }>('POST', '/api/ops/simulator/send', { guest_id: guestId, message: input.value })
    .then((r) => {
      status(`guest message accepted (${r.mode})`);
      input.value = '';
      return refreshThread();
    })
    .catch((e: Error) => status(e.message, true));
});

$('sim-reply-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = $<HTMLInputElement>('sim-reply');
  if (simConversation === null) return status('No conversation to reply in yet', true);
  void api<{ as: string }>('POST', '/api/ops/simulator/reply', { conversation_id: simConversation, message: input.value })
    .then((r) => {
      status(`reply sent as ${r.as}`);
      input.value = '';
      return refreshThread();
    })
    .catch((e: Error) => status(e.message, true));
});

if (tokens) start();
