import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig, ConfigError } from '../config/app-config';
import { DatabaseService } from '../database/database.service';

/**
 * pgvector columns have one width, fixed when the RAG schema was created
 * (platform_settings.embedding_dim). Booting with another EMBEDDING_DIM would
 * fail on the first insert, so it stops start-up here with the variable named.
 */
@Injectable()
export class EmbeddingDimCheck implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly db: DatabaseService,
  ) {}

  async onModuleInit(): Promise<void> {
    const row = await this.db.withPlatform((db) => db.one<{ value: string }>(`SELECT value FROM platform_settings WHERE key = 'embedding_dim'`));
    const stored = row ? Number(row.value) : null;
    const wanted = this.config.settings.embeddingDim;
    if (stored !== null && stored !== wanted) {
      throw new ConfigError(
        'EMBEDDING_DIM',
        `is ${wanted} but this database stores ${stored}-dimensional vectors (fixed when its schema was created); set EMBEDDING_DIM=${stored} or use a new database`,
      );
    }
  }
}
