import { MigrationInterface, QueryRunner } from 'typeorm';

const VECTOR_TABLES = ['chunks', 'entities', 'relations'];

/**
 * The widest embedding stored inline: 4 bytes per dimension + 8, i.e. 6 152
 * bytes at 1 536, which leaves a row room for its keys and the out-of-line
 * pointers of its text columns under PostgreSQL's ~8 KB row limit (a PLAIN
 * value is never moved out of line, so a row that does not fit would fail).
 */
export const INLINE_VECTOR_MAX_DIM = 1536;

/**
 * Embeddings stored inline (issue 14). By default a vector over ~2 KB
 * (EXTENDED storage) goes to the TOAST table, and every distance an exact scan
 * computes first fetches it back from there: most of an exact scan's cost.
 * STORAGE PLAIN keeps the vector in the row (uncompressed: MAIN compresses
 * the mostly-zero lexical vectors and a scan then pays the decompression;
 * measured in ADR 003, "Vector representation"). Only up to
 * INLINE_VECTOR_MAX_DIM; wider databases keep EXTENDED.
 *
 * SET STORAGE applies to rows written afterwards; rows already stored stay
 * TOASTed (still read correctly) until the table is rewritten — `VACUUM FULL
 * chunks, entities, relations` moves them inline (an exclusive lock for the
 * rewrite's duration, so left to the operator).
 */
export class InlineVectors1733100000000 implements MigrationInterface {
  name = 'InlineVectors1733100000000';

  async up(q: QueryRunner): Promise<void> {
    const rows = (await q.query(`SELECT value FROM platform_settings WHERE key = 'embedding_dim'`)) as Array<{ value: string }>;
    const dim = Number(rows[0]?.value);
    if (!Number.isInteger(dim) || dim > INLINE_VECTOR_MAX_DIM) return;
    for (const t of VECTOR_TABLES) await q.query(`ALTER TABLE ${t} ALTER COLUMN embedding SET STORAGE PLAIN`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of VECTOR_TABLES) await q.query(`ALTER TABLE ${t} ALTER COLUMN embedding SET STORAGE EXTENDED`);
  }
}
