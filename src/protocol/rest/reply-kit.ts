// The building blocks every reply schema file uses: closed objects (a presenter that adds a field
// must add it to its schema, or the contract tests fail), nullable values and the common scalars.
import { Type, type TSchema } from 'typebox';

export const closed = { additionalProperties: false } as const;
export const obj = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  Type.Object(props, description ? { ...closed, description } : closed);
export const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
export const nullable = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()]);
export const Str = Type.String();
export const Int = Type.Integer();
export const Num = Type.Number();
export const Bool = Type.Boolean();
export const When = Type.String({ format: 'date-time' });
export const HotelId = Type.String({ format: 'uuid' });
