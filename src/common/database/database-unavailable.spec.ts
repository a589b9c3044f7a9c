import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, isStatementCanceled } from './database-unavailable';

describe('isDatabaseUnavailable', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it.each([
    ['refused connection', withCode('ECONNREFUSED')],
    ['server shutting down (57P01)', withCode('57P01', 'terminating connection due to administrator command')],
    ['crash shutdown (57P02)', withCode('57P02')],
    ['starting up (57P03)', withCode('57P03', 'the database system is starting up')],
    ['connection failure class 08', withCode('08006')],
    ['connection cut mid-query', new Error('Connection terminated unexpectedly')],
    ['pool could not connect in time', new Error('timeout exceeded when trying to connect')],
    ['wrapped by TypeORM', new QueryFailedError('SELECT 1', [], withCode('57P01'))],
    ['wrapped as a cause', new Error('outer', { cause: withCode('ECONNRESET') })],
    ['session ended for idling in a transaction (25P03)', withCode('25P03', 'terminating connection due to idle-in-transaction timeout')],
  ])('%s: unavailable', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], withCode('23505', 'duplicate key'))],
    ['a syntax error', withCode('42601')],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['not an error', 'text'],
    ['nothing', undefined],
  ])('%s: not unavailable', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('isStatementCanceled', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it('is the statement timeout or a cancel (57014), direct or wrapped, and nothing else', () => {
    expect(isStatementCanceled(withCode('57014', 'canceling statement due to statement timeout'))).toBe(true);
    expect(isStatementCanceled(new QueryFailedError('SELECT 1', [], withCode('57014')))).toBe(true);
    expect(isStatementCanceled(new Error('outer', { cause: withCode('57014') }))).toBe(true);
    for (const other of [withCode('57P01'), withCode('23505'), withCode('ECONNRESET'), new Error('57014'), undefined, 'text']) {
      expect(isStatementCanceled(other)).toBe(false);
    }
    // A canceled statement leaves its connection usable: it is not a connection to throw away.
    expect(isDatabaseUnavailable(withCode('57014'))).toBe(false);
  });
});
