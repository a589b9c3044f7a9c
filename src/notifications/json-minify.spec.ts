import { minifyJson } from './json-minify';

describe(minifyJson.name, () => {
  it('removes whitespace between tokens, pretty-printed, tabs and CRLF alike', () => {
    const compact = '{"a":1,"b":[true,null,{"c":"x"}]}';
    expect(minifyJson(JSON.stringify(JSON.parse(compact), null, 2))).toBe(compact);
    expect(minifyJson(JSON.stringify(JSON.parse(compact), null, '\t').replace(/\n/g, '\r\n') + '\r\n')).toBe(compact);
    expect(minifyJson(compact)).toBe(compact);
  });

  it('keeps string contents byte for byte: spaces, escaped quotes and backslashes, unicode escapes', () => {
    const text = '{ "desc" : "Paid in full \\" ok \\\\", "name": "Budi  Santoso", "u": "\\u00e9 \\n" }';
    expect(minifyJson(text)).toBe('{"desc":"Paid in full \\" ok \\\\","name":"Budi  Santoso","u":"\\u00e9 \\n"}');
  });

  it('keeps number forms as written (no re-serialisation)', () => {
    expect(minifyJson('{ "v": 1.50, "w": 1e3, "x": -0 }')).toBe('{"v":1.50,"w":1e3,"x":-0}');
  });

  it('leaves nested objects and arrays in order', () => {
    expect(minifyJson('[ { "b": 2, "a": 1 }, [ ] , { } ]')).toBe('[{"b":2,"a":1},[],{}]');
  });
});
