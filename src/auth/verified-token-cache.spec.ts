import { VerifiedTokenCache } from './verified-token-cache';

function token(exp: number | undefined): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part(exp === undefined ? { sub: 'x' } : { sub: 'x', exp })}.sig`;
}

describe('VerifiedTokenCache', () => {
  const principal = { kind: 'admin' as const, id: 'a', username: 'admin', tokenVersion: 0 };

  it('returns a remembered principal until the token expires, then forgets it', () => {
    const cache = new VerifiedTokenCache();
    const t = token(2000);
    cache.remember(t, principal, 1_000_000);
    expect(cache.get(t, 1_500_000)).toBe(principal);
    expect(cache.get(t, 2_000_000)).toBeUndefined();
    expect(cache.get(t, 1_500_000)).toBeUndefined();
  });

  it('does not keep tokens without exp or already expired', () => {
    const cache = new VerifiedTokenCache();
    cache.remember(token(undefined), principal);
    cache.remember(token(1), principal);
    expect(cache.get(token(undefined))).toBeUndefined();
    expect(cache.get(token(1))).toBeUndefined();
  });
});
