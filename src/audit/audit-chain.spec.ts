import { AuditRow, canonicalJson, GENESIS_HASH, hashAuditRow, verifyChain } from './audit-chain';

function chain(n: number): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
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
    };
    const full = { ...row, hash: hashAuditRow(row) };
    prev = full.hash;
    rows.push(full);
  }
  return rows;
}

const source = (rows: AuditRow[], cuts: Array<[string, string]> = []) => ({
  page: async (after: string | null, limit: number) => rows.filter((r) => after === null || BigInt(r.seq) > BigInt(after)).slice(0, limit),
  retentionExplains: async (seq: string, prev: string) => cuts.some(([s, p]) => s === seq && p === prev),
});

describe('audit hash chain', () => {
  it('canonical JSON ignores key order (jsonb reorders keys)', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 }));
  });

  it('an intact chain verifies, across pages', async () => {
    await expect(verifyChain(source(chain(25)), 10)).resolves.toMatchObject({ valid: true, checked: 25, starts_at_seq: '1' });
  });

  it('an edited row, a missing row and a relinked row are each reported where they break', async () => {
    const edited = chain(5);
    edited[2] = { ...edited[2], actor: 'admin:2' };
    await expect(verifyChain(source(edited))).resolves.toMatchObject({ valid: false, checked: 2, first_broken_id: edited[2].id, first_broken_seq: '3' });

    const gap = chain(5).filter((r) => r.seq !== '3');
    await expect(verifyChain(source(gap))).resolves.toMatchObject({ valid: false, first_broken_seq: '4' });

    // Rewriting a row and its hash moves the break to the next row.
    const rewritten = chain(5);
    const { hash: _old, ...rest } = { ...rewritten[1], details: { forged: true } };
    rewritten[1] = { ...rest, hash: hashAuditRow(rest) };
    await expect(verifyChain(source(rewritten))).resolves.toMatchObject({ valid: false, first_broken_seq: '3' });
  });

  it('a chain cut by retention verifies only when a retention entry records that cut', async () => {
    const rows = chain(6).slice(3);
    await expect(verifyChain(source(rows))).resolves.toMatchObject({ valid: false, first_broken_seq: '4' });
    await expect(verifyChain(source(rows, [['4', rows[0].prev_hash]]))).resolves.toMatchObject({ valid: true, checked: 3, starts_at_seq: '4' });
  });
});
