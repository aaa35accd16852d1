import { inlineParams } from './inline-params';

describe('inlineParams (client-side binding for one-message reads)', () => {
  it('turns each $n into a literal: strings escaped by the driver, numbers, booleans, null', () => {
    expect(inlineParams({ sql: 'SELECT $1, $2, $3, $4, $5', params: ['plain', 42.5, true, null, -3] })).toBe(`SELECT 'plain', 42.5, TRUE, NULL, -3`);
  });

  it('quotes and backslashes cannot end the literal', () => {
    const hostile = `x'); DROP TABLE chunks; --`;
    expect(inlineParams({ sql: 'SELECT $1::text', params: [hostile] })).toBe(`SELECT 'x''); DROP TABLE chunks; --'::text`);
    // A backslash makes it an E'' literal (the driver puts a space before the E).
    expect(inlineParams({ sql: 'SELECT $1', params: [`a\\'b`] })).toBe(`SELECT  E'a\\\\''b'`);
  });

  it('tells $1 from $10 and reuses a value named twice', () => {
    const params = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(inlineParams({ sql: 'SELECT $10, $1, $1, $2, $3, $4, $5, $6, $7, $8, $9', params })).toBe('SELECT 10, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9');
  });

  it('refuses what it cannot bind safely: missing or unused values, NaN, Infinity, objects, arrays', () => {
    expect(() => inlineParams({ sql: 'SELECT $2', params: ['a'] })).toThrow(/\$2 has no value/);
    expect(() => inlineParams({ sql: 'SELECT 1', params: ['a'] })).toThrow(/never used/);
    expect(() => inlineParams({ sql: 'SELECT $1', params: [NaN] })).toThrow(/not a finite number/);
    expect(() => inlineParams({ sql: 'SELECT $1', params: [Infinity] })).toThrow(/not a finite number/);
    expect(() => inlineParams({ sql: 'SELECT $1', params: [{ a: 1 }] })).toThrow(/unsupported type \(object\)/);
    expect(() => inlineParams({ sql: 'SELECT $1', params: [[1, 2]] })).toThrow(/unsupported type \(array\)/);
  });
});
