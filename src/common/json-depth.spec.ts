import { jsonNestingExceeds } from './json-depth';

describe('jsonNestingExceeds', () => {
  it('counts arrays and objects, at the limit and one past it', () => {
    expect(jsonNestingExceeds('[[[1]]]', 3)).toBe(false);
    expect(jsonNestingExceeds('[[[[1]]]]', 3)).toBe(true);
    expect(jsonNestingExceeds('{"a":{"b":[{"c":1}]}}', 4)).toBe(false);
    expect(jsonNestingExceeds('{"a":{"b":[{"c":1}]}}', 3)).toBe(true);
  });

  it('measures depth, not the number of brackets', () => {
    expect(jsonNestingExceeds(`[${'[1],'.repeat(10_000)}[1]]`, 2)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingExceeds(JSON.stringify({ s: '[[[[{{{{', t: 'say \\"[[[[\\"', u: '\\\\' }), 1)).toBe(false);
    expect(jsonNestingExceeds(JSON.stringify({ s: 'x\\', deep: [[[1]]] }), 3)).toBe(true);
  });

  it('takes a Buffer with multi-byte text and a 100 000-deep body without recursion', () => {
    expect(jsonNestingExceeds(Buffer.from(JSON.stringify({ s: 'é[日本]', a: [1] })), 2)).toBe(false);
    expect(jsonNestingExceeds('['.repeat(100_000) + ']'.repeat(100_000))).toBe(true);
  });
});
