import { randomBytes } from 'node:crypto';
import { decryptForTenant, encryptForTenant, encryptionKeyBytes } from './tenant-llm-keys.service';

describe('tenant LLM key encryption (AES-256-GCM)', () => {
  const key = randomBytes(32);
  const tenant = '11111111-1111-4111-8111-111111111111';

  it('round-trips, with a fresh nonce every time', () => {
    const a = encryptForTenant(key, tenant, 'sk-secret-value');
    const b = encryptForTenant(key, tenant, 'sk-secret-value');
    expect(a).not.toBe(b);
    expect(a).not.toContain('sk-secret-value');
    expect(decryptForTenant(key, tenant, a)).toBe('sk-secret-value');
  });

  it('fails for another tenant, another key or a flipped bit', () => {
    const stored = encryptForTenant(key, tenant, 'sk-secret-value');
    expect(() => decryptForTenant(key, '22222222-2222-4222-8222-222222222222', stored)).toThrow();
    expect(() => decryptForTenant(randomBytes(32), tenant, stored)).toThrow();
    const raw = Buffer.from(stored.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => decryptForTenant(key, tenant, `v1:${raw.toString('base64')}`)).toThrow();
  });

  it('reads ENCRYPTION_KEY as hex or base64', () => {
    const bytes = randomBytes(32);
    expect(encryptionKeyBytes(bytes.toString('hex')).equals(bytes)).toBe(true);
    expect(encryptionKeyBytes(bytes.toString('base64')).equals(bytes)).toBe(true);
  });
});
