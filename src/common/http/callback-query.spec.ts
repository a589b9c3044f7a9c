import { callbackParams } from './callback-query';

describe(callbackParams.name, () => {
  it('reads a well-formed query as it is', () => {
    expect(callbackParams({ ref: 'BIND-1', authCode: 'abc', status: 'SUCCESS' })).toEqual({
      ref: 'BIND-1',
      authCode: 'abc',
      status: 'SUCCESS',
    });
  });

  it('merges a query DOKU appended with a second "?" into ours', () => {
    // What the parser gives for `/binding?ref=BIND-1?authCode=abc&status=SUCCESS`.
    expect(callbackParams({ ref: 'BIND-1?authCode=abc', status: 'SUCCESS' })).toEqual({
      ref: 'BIND-1',
      authCode: 'abc',
      status: 'SUCCESS',
    });
    expect(callbackParams({ ref: 'PUR-1?a=1&b=two%20words' })).toEqual({ ref: 'PUR-1', a: '1', b: 'two words' });
  });

  it('never lets an appended parameter override one already present', () => {
    expect(callbackParams({ ref: 'BIND-1?ref=BIND-evil&authCode=abc' })).toEqual({ ref: 'BIND-1', authCode: 'abc' });
    expect(callbackParams({ authCode: 'real', ref: 'BIND-1?authCode=forged' })).toEqual({ ref: 'BIND-1', authCode: 'real' });
  });

  it('leaves out repeated (ambiguous) parameters', () => {
    expect(callbackParams({ ref: ['BIND-1', 'BIND-2'], x: undefined, status: 'SUCCESS' })).toEqual({ status: 'SUCCESS' });
  });
});
