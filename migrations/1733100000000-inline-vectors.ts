import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Entities and relations only. Chunks keep pgvector's default (EXTERNAL):
 * naive and mix also search chunks by full text, and with 4 KB rows, one per
 * page, that search reads far more pages — on a copy of a 1 000-chunk KB the
 * full-text top 40 took 10.7–11.5 ms with PLAIN against 3.2–3.5 ms, more than
 * PLAIN saved on the vector scan (6.2–6.4 ms against 8.0–9.6 ms). Entities and
 * relations are only ever searched by vector.
 */
const VECTOR_TABLES = ['entities', 'relations'];

/**
 * The widest embedding stored inline: 4 bytes per dimension + 8, i.e. 6 152
 * bytes at 1 536, which leaves a row room for its keys and the out-of-line
 * pointers of its text columns under PostgreSQL's ~8 KB row limit (a PLAIN
 * value is never moved out of line, so a row that does not fit would fail).
 */
export const INLINE_VECTOR_MAX_DIM = 1536;

/**
 * Entity and relation embeddings stored inline (issue 14). pgvector's types
 * default to EXTERNAL storage: in a row over ~2 KB the vector is moved to the
 * TOAST table, and every distance an exact scan computes first fetches it
 * back from there: most of the scan's cost.
 * STORAGE PLAIN keeps the vector in the row (uncompressed: MAIN compresses
 * the mostly-zero lexical vectors and a scan then pays the decompression;
 * measured in ADR 003, "Vector representation"). Only up to
 * INLINE_VECTOR_MAX_DIM; wider databases keep EXTENDED.
 *
 * SET STORAGE applies to rows written afterwards; rows already stored stay
 * as they were (still read correctly) until the table is rewritten — `VACUUM
 * FULL entities, relations` stores them inline (an exclusive lock for the
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
    // pgvector's own default for its types.
    for (const t of VECTOR_TABLES) await q.query(`ALTER TABLE ${t} ALTER COLUMN embedding SET STORAGE EXTERNAL`);
  }
}
