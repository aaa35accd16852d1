import { PlatformAndTenancy1732400000000 } from './1732400000000-platform-and-tenancy';
import { RagSchema1732500000000 } from './1732500000000-rag-schema';
import { Operations1732600000000 } from './1732600000000-operations';
import { ChunkStaging1732700000000 } from './1732700000000-chunk-staging';
import { AuthHardening1732800000000 } from './1732800000000-auth-hardening';
import { AuditHardening1732900000000 } from './1732900000000-audit-hardening';
import { DocumentLookups1733000000000 } from './1733000000000-document-lookups';
import { InlineVectors1733100000000 } from './1733100000000-inline-vectors';

/** Every migration, in order. New migrations are appended here (never edited after they land). */
export const MIGRATIONS = [
  PlatformAndTenancy1732400000000,
  RagSchema1732500000000,
  Operations1732600000000,
  ChunkStaging1732700000000,
  AuthHardening1732800000000,
  AuditHardening1732900000000,
  DocumentLookups1733000000000,
  InlineVectors1733100000000,
];
