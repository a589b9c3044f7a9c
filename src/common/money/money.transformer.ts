import type { ValueTransformer } from 'typeorm';
import type { Money } from './money';
import { parseRupiah } from './money';

/** Maps a `bigint` column (read by `pg` as text) to and from `Money`, never through a float. */
export const moneyTransformer: ValueTransformer = {
  to: (value: Money | null | undefined) => (value === null || value === undefined ? value : value.toString()),
  from: (value: string | null) => (value === null ? null : parseRupiah(value)),
};
