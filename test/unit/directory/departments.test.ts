// Issue 3 — departments: any case, spaces/underscores/hyphens → the five canonical names.
import t from 'tap';
import { canonicalDepartment, canonicalDepartments, DEPARTMENTS, departmentSlug } from '../../../src/core/departments.js';

t.test('canonicalDepartment', async (t) => {
  const cases: Array<[string, string | null]> = [
    ['Reception', 'Reception'],
    ['reception', 'Reception'],
    ['RECEPTION', 'Reception'],
    ['  reception  ', 'Reception'],
    ['room service', 'Room Service'],
    ['ROOM_SERVICE', 'Room Service'],
    ['Room-Service', 'Room Service'],
    ['room__service', 'Room Service'],
    ['room \t service', 'Room Service'],
    ['housekeeping', 'Housekeeping'],
    ['RESTAURANT', 'Restaurant'],
    ['management', 'Management'],
    ['roomservice', null],
    ['spa', null],
    ['', null],
    ['Reception, Housekeeping', null],
  ];
  for (const [input, want] of cases) t.equal(canonicalDepartment(input), want, JSON.stringify(input));
  for (const d of DEPARTMENTS) t.equal(canonicalDepartment(d), d, `${d} is its own canonical form`);
});

t.test('canonicalDepartments: order kept, duplicates dropped, unknowns listed', async (t) => {
  t.same(canonicalDepartments(['ROOM_SERVICE', 'housekeeping']), { departments: ['Room Service', 'Housekeeping'], unknown: [] });
  t.same(canonicalDepartments(['reception', 'Reception', 'RECEPTION']), { departments: ['Reception'], unknown: [] });
  t.same(canonicalDepartments(['spa', 'restaurant', 'gym']), { departments: ['Restaurant'], unknown: ['spa', 'gym'] });
  t.same(canonicalDepartments([]), { departments: [], unknown: [] });
});

t.test('departmentSlug', async (t) => {
  t.equal(departmentSlug('Room Service'), 'room_service');
  t.equal(departmentSlug('Reception'), 'reception');
  for (const d of DEPARTMENTS) t.equal(canonicalDepartment(departmentSlug(d)), d, `${d}: slug round-trips`);
});
