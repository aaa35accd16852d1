import { PlatformAndTenancy1732400000000 } from './1732400000000-platform-and-tenancy';

/** Every migration, in order. New migrations are appended here (never edited after they land). */
export const MIGRATIONS = [PlatformAndTenancy1732400000000];
