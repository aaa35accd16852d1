import { createHmac } from 'node:crypto';

export const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A JWT made by hand, so the tests control every byte of header, claims and signature. */
export function jwt(claims: Record<string, unknown>, opts: { secret: string | Buffer; alg?: string; header?: Record<string, unknown> }): string {
  const alg = opts.alg ?? 'HS256';
  const head = b64({ alg, typ: 'JWT', ...(opts.header ?? {}) });
  const body = b64(claims);
  if (alg === 'none') return `${head}.${body}.`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg]!;
  const sig = createHmac(hash, opts.secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
