import {
  AuditRow,
  auditSafe,
  canonicalJson,
  deriveAuditChainKey,
  GENESIS_HASH,
  hashAuditRow,
  LegacyCutover,
  openCutover,
  sealAuditRow,
  sealCutover,
  verifyChain,
} from './audit-chain';

const KEY = deriveAuditChainKey('a-token-secret-of-at-least-32-characters');
const keyed = { key: KEY, legacy: null };

/** n rows; the first `legacy` of them unkeyed (version 1), the rest sealed with KEY (version 2). */
function chain(n: number, legacy = 0): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const version = i <= legacy ? 1 : 2;
    const row: Omit<AuditRow, 'hash'> = {
      seq: String(i),
      id: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
      tenant_id: null,
      kb_id: null,
      actor: 'admin:1',
      action: 'kb.create',
      resource_id: null,
      outcome: 'success',
      http_status: 201,
      request_id: `r${i}`,
      client_ip: '127.0.0.1',
      details: { route: '/x', nested: { b: 1, a: [2, 3] } },
      created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      prev_hash: prev,
      hash_version: version,
    };
    const full = { ...row, hash: version === 1 ? hashAuditRow(row) : sealAuditRow(KEY, row) };
    prev = full.hash;
    rows.push(full);
  }
  return rows;
}

/** Recomputes every row's unkeyed hash and link, as someone without the key would after an edit. */
function recomputeUnkeyed(rows: AuditRow[], version: number): AuditRow[] {
  let prev = GENESIS_HASH;
  return rows.map(({ hash: _h, ...r }) => {
    const row = { ...r, prev_hash: prev, hash_version: version };
    prev = hashAuditRow(row);
    return { ...row, hash: prev };
  });
}

const source = (rows: AuditRow[], cuts: Array<[string, string]> = []) => ({
  page: async (after: string | null, limit: number) => rows.filter((r) => after === null || BigInt(r.seq) > BigInt(after)).slice(0, limit),
  retentionExplains: async (seq: string, prev: string) => cuts.some(([s, p]) => s === seq && p === prev),
});

describe('audit hash chain', () => {
  it('canonical JSON ignores key order (jsonb reorders keys)', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 }));
  });

  it('an intact keyed chain verifies, across pages, and only under its key', async () => {
    await expect(verifyChain(source(chain(25)), keyed, 10)).resolves.toMatchObject({ valid: true, checked: 25, starts_at_seq: '1', head_seq: '25' });
    const other = { key: deriveAuditChainKey('another-token-secret-of-32-characters!!'), legacy: null };
    await expect(verifyChain(source(chain(3)), other)).resolves.toMatchObject({ valid: false, first_broken_seq: '1' });
  });

  it('an edited row, a missing row and a relinked row are each reported where they break', async () => {
    const edited = chain(5);
    edited[2] = { ...edited[2], actor: 'admin:2' };
    await expect(verifyChain(source(edited), keyed)).resolves.toMatchObject({ valid: false, checked: 2, first_broken_id: edited[2].id, first_broken_seq: '3' });

    const gap = chain(5).filter((r) => r.seq !== '3');
    await expect(verifyChain(source(gap), keyed)).resolves.toMatchObject({ valid: false, first_broken_seq: '4' });
  });

  it('an edit whose hashes were all recomputed without the key is caught (as keyed rows, or turned into unkeyed ones)', async () => {
    const edited = chain(5).map((r, i) => (i === 2 ? { ...r, details: { forged: true } } : r));
    await expect(verifyChain(source(recomputeUnkeyed(edited, 2)), keyed)).resolves.toMatchObject({ valid: false, first_broken_seq: '1', reason: expect.stringMatching(/HMAC/) });
    await expect(verifyChain(source(recomputeUnkeyed(edited, 1)), keyed)).resolves.toMatchObject({
      valid: false,
      first_broken_seq: '1',
      reason: expect.stringMatching(/no sealed cut-over/),
    });
  });

  it('legacy unkeyed rows verify up to the sealed cut-over, followed by keyed rows; nothing unkeyed after it', async () => {
    const rows = chain(6, 3);
    const legacy: LegacyCutover = { platform: { seq: '3', hash: rows[2].hash } };
    const sealed = openCutover(KEY, sealCutover(KEY, legacy));
    expect(sealed).toEqual(legacy);
    await expect(verifyChain(source(rows), { key: KEY, legacy: sealed })).resolves.toMatchObject({ valid: true, checked: 6 });
    // A forged cut-over (no MAC under the key) is not one.
    expect(openCutover(KEY, JSON.stringify({ chains: { platform: { seq: '6', hash: 'x' } }, mac: '00' }))).toBeNull();
    // Rewriting a legacy row and recomputing the unkeyed prefix changes the sealed head.
    const rewritten = [
      ...recomputeUnkeyed(
        rows.slice(0, 3).map((r, i) => (i === 0 ? { ...r, actor: 'admin:2' } : r)),
        1,
      ),
      ...rows.slice(3),
    ];
    await expect(verifyChain(source(rewritten), { key: KEY, legacy: sealed })).resolves.toMatchObject({ valid: false, first_broken_seq: '3' });
    // An unkeyed row after the cut-over, or after keyed rows, is refused.
    await expect(verifyChain(source(recomputeUnkeyed(rows, 1)), { key: KEY, legacy: sealed })).resolves.toMatchObject({
      valid: false,
      first_broken_seq: '4',
      reason: expect.stringMatching(/no sealed cut-over/),
    });
  });

  it('a chain cut by retention verifies only when a retention entry records that cut', async () => {
    const rows = chain(6).slice(3);
    await expect(verifyChain(source(rows), keyed)).resolves.toMatchObject({ valid: false, first_broken_seq: '4' });
    await expect(verifyChain(source(rows, [['4', rows[0].prev_hash]]), keyed)).resolves.toMatchObject({ valid: true, checked: 3, starts_at_seq: '4' });
  });

  it('auditSafe replaces what PostgreSQL cannot store (NUL, lone surrogates) in values and keys', () => {
    expect(auditSafe({ 'a\u0000': ['x\u0000y', '\ud800', 'ok 😀'], n: 1, d: null })).toEqual({ 'a\ufffd': ['x\ufffdy', '\ufffd', 'ok 😀'], n: 1, d: null });
  });
});
