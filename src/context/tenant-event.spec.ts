import { parseTenantEvent } from './tenant-event';

const T = '8a0f7c52-3b1e-4c57-9d7e-2f1a6b3c4d5e';
const K = '1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b';

describe('parseTenantEvent (events received from other replicas)', () => {
  it.each([
    [{ type: 'updated', tenantId: T }],
    [{ type: 'llm_key_changed', tenantId: T }],
    [{ type: 'kb_deleted', tenantId: T, kbId: K }],
    [{ type: 'api_key_revoked', tenantId: T, keyId: K }],
    [{ type: 'user_changed', tenantId: T, userId: K }],
    [{ type: 'user_changed', tenantId: null, userId: K }],
  ])('accepts %j as it is', (e) => {
    expect(parseTenantEvent(e)).toEqual(e);
  });

  it.each([
    ['not an object', 'updated'],
    ['null', null],
    ['an array', [{ type: 'updated', tenantId: T }]],
    ['an unknown type', { type: 'everything_changed', tenantId: T }],
    ['a tenant id that is no UUID', { type: 'updated', tenantId: "' OR 1=1" }],
    ['a missing field', { type: 'api_key_revoked', tenantId: T }],
    ['an extra field', { type: 'updated', tenantId: T, admin: true }],
    ['a null tenant on a tenant event', { type: 'deleted', tenantId: null }],
    ['a number id', { type: 'kb_deleted', tenantId: T, kbId: 7 }],
    ['a prototype key', JSON.parse(`{"type":"updated","tenantId":"${T}","__proto__":{"x":1}}`)],
  ])('refuses %s', (_label, raw) => {
    expect(parseTenantEvent(raw)).toBeNull();
  });
});
