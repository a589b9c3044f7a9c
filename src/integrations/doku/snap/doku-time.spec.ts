import { parseRfc3339 } from '../../../../simulator/src/time';
import { parseDokuTimestamp } from './doku-time';

/** The same texts through our parser and the simulator's: both sides must read DOKU's time alike. */
const CASES: Array<[string, number | null]> = [
  ['2024-05-21T10:15:30+07:00', Date.UTC(2024, 4, 21, 3, 15, 30)],
  ['2024-05-21T03:15:30Z', Date.UTC(2024, 4, 21, 3, 15, 30)],
  ['2024-05-21T03:15:30.123Z', Date.UTC(2024, 4, 21, 3, 15, 30, 123)],
  ['2024-05-21T03:15:30.123456789z', Date.UTC(2024, 4, 21, 3, 15, 30, 123)],
  ['2024-05-21t10:15:30-02:30', Date.UTC(2024, 4, 21, 12, 45, 30)],
  ['2024-02-29T00:00:00+07:00', Date.UTC(2024, 1, 28, 17)],
  ['2024-02-30T10:00:00+07:00', null],
  ['2023-02-29T10:00:00+07:00', null],
  ['2024-13-01T10:00:00+07:00', null],
  ['2024-05-21T24:00:00+07:00', null],
  ['2016-12-31T23:59:60Z', Date.UTC(2016, 11, 31, 23, 59, 59)],
  ['2024-05-21T10:15:61+07:00', null],
  ['2024-05-21T10:15+07:00', null],
  ['2024-05-21 10:15:30+07:00', null],
  ['2024-05-21T10:15:30', null],
  ['2024-05-21T10:15:30+0700', null],
  ['20240521T101530+07:00', null],
  ['', null],
];

describe(parseDokuTimestamp.name, () => {
  it.each(CASES)('%s', (text, expected) => {
    expect(parseDokuTimestamp(text)).toBe(expected);
    expect(parseRfc3339(text)).toBe(expected);
  });

  it('takes nothing but a string', () => {
    expect(parseDokuTimestamp(1716261330000)).toBeNull();
    expect(parseDokuTimestamp(undefined)).toBeNull();
  });
});
