// The five departments. Clients spell them in any case, with spaces, underscores or hyphens;
// storage and topics use the canonical names below.

export const DEPARTMENTS = ['Reception', 'Housekeeping', 'Room Service', 'Restaurant', 'Management'] as const;
export type Department = (typeof DEPARTMENTS)[number];

const BY_KEY = new Map<string, Department>(DEPARTMENTS.map((d) => [key(d), d]));

function key(s: string): string {
  return s.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
}

/** "room_service", "ROOM SERVICE", "Room-Service" → "Room Service"; unknown → null. */
export function canonicalDepartment(input: string): Department | null {
  return BY_KEY.get(key(input)) ?? null;
}

/** "Room Service" → "room_service" (topics, subjects, seed group names). */
export function departmentSlug(d: Department): string {
  return d.toLowerCase().replace(/ /g, '_');
}

/** Canonicalizes a list; returns the canonical list and the inputs that are not departments. */
export function canonicalDepartments(inputs: readonly string[]): { departments: Department[]; unknown: string[] } {
  const departments: Department[] = [];
  const unknown: string[] = [];
  for (const raw of inputs) {
    const d = canonicalDepartment(raw);
    if (!d) unknown.push(raw);
    else if (!departments.includes(d)) departments.push(d);
  }
  return { departments, unknown };
}
