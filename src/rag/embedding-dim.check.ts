import { OnModuleInit } from '@nestjs/common';
import { AppConfig, ConfigError } from '../config/app-config';
import { DatabaseService } from '../database/database.service';

/**
 * The embedding width the server runs with. pgvector columns have one width,
 * fixed when the RAG schema was created (platform_settings.embedding_dim):
 *  - EMBEDDING_DIM unset: the stored width, so a database created under an
 *    older default (1024 for the local binding before issue 14) keeps
 *    working after an upgrade that changed the default; a new database has
 *    just stored the default (the migrations ran before this).
 *  - EMBEDDING_DIM set and different from the stored width: start-up stops
 *    here with the variable named (the first insert would fail otherwise).
 * Resolved once at start-up (an async provider), before the model providers
 * are built: ModelProviders takes its width from here. The mismatch is raised
 * at module initialisation (app.init / listen), like every start-up check, so
 * the app that failed can still be closed.
 */
export class EmbeddingWidth implements OnModuleInit {
  constructor(
    readonly dim: number,
    private readonly mismatch: ConfigError | null = null,
  ) {}

  onModuleInit(): void {
    if (this.mismatch) throw this.mismatch;
  }

  static async resolve(config: AppConfig, db: DatabaseService): Promise<EmbeddingWidth> {
    const row = await db.withPlatform((d) => d.one<{ value: string }>(`SELECT value FROM platform_settings WHERE key = 'embedding_dim'`));
    const stored = row ? Number(row.value) : null;
    const { embeddingDim: wanted, embeddingDimSet } = config.settings;
    if (stored === null || stored === wanted) return new EmbeddingWidth(wanted);
    if (!embeddingDimSet) return new EmbeddingWidth(stored);
    const mismatch = new ConfigError(
      'EMBEDDING_DIM',
      `is ${wanted} but this database stores ${stored}-dimensional vectors (fixed when its schema was created); set EMBEDDING_DIM=${stored}, leave it unset, or use a new database`,
    );
    return new EmbeddingWidth(wanted, mismatch);
  }
}
