import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { AppException } from '../common/app-exception';
import { AppConfig } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import type { JwtClaims } from './jwt.strategy';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords';
import { SecretsService } from './secrets.service';
import { SecurityEvents } from './security-events';
import { TenantStatusService } from './tenant-status.service';

interface UserRow {
  id: string;
  tenant_id: string | null;
  username: string;
  password_hash: string;
  role: 'admin' | 'owner' | 'member' | 'viewer';
  is_active: boolean;
}

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly secrets: SecretsService,
    private readonly tenants: TenantStatusService,
    private readonly events: SecurityEvents,
  ) {}

  /**
   * The first admin. ADMIN_PASSWORD set → that password (and setting it again
   * later is how the admin password is changed: restart with the new value).
   * Unset on the first start → a generated password, printed once.
   */
  async onApplicationBootstrap(): Promise<void> {
    const { adminUsername, adminPassword } = this.config.settings;
    await this.db.withPlatform(async (db) => {
      const rows: UserRow[] = await db.query(`SELECT * FROM users WHERE lower(username) = lower($1)`, [adminUsername]);
      const existing = rows[0];
      if (existing && existing.role !== 'admin') {
        throw new Error(`ADMIN_USERNAME "${adminUsername}" is taken by a tenant user; choose another ADMIN_USERNAME`);
      }
      if (!existing) {
        const password = adminPassword ?? randomBytes(18).toString('base64url');
        await db.query(`INSERT INTO users (username, password_hash, role) VALUES ($1, $2, 'admin')`, [adminUsername, await hashPassword(password)]);
        if (adminPassword) this.logger.log(`created platform admin "${adminUsername}" from ADMIN_PASSWORD`);
        else
          this.logger.warn(
            `created platform admin "${adminUsername}" with generated password ${password} — shown only this once; ` +
              'to change it, set ADMIN_PASSWORD and restart the server',
          );
      } else if (adminPassword && !(await verifyPassword(existing.password_hash, adminPassword))) {
        await db.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, [existing.id, await hashPassword(adminPassword)]);
        this.logger.log(`platform admin "${adminUsername}": password changed from ADMIN_PASSWORD`);
      }
    });
  }

  async login(username: string, password: string, ip?: string): Promise<{ access_token: string; token_type: 'bearer'; expires_in: number }> {
    const rows: UserRow[] = await this.db.withPlatform((db) =>
      db.query(`SELECT id, tenant_id, username, password_hash, role, is_active FROM users WHERE lower(username) = lower($1)`, [username]),
    );
    const user = rows[0];
    const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), password);
    if (!user || !ok || !user.is_active) {
      this.events.emit({ type: 'auth_failed', reason: 'bad_password', ip });
      throw AppException.unauthenticated('Wrong username or password.');
    }
    if (user.tenant_id && (await this.tenants.statusOf(user.tenant_id)) !== 'active') {
      throw new AppException('TENANT_SUSPENDED', 'This tenant is suspended or deleted.');
    }
    const claims: JwtClaims =
      user.role === 'admin'
        ? { sub: user.id, username: user.username, kind: 'admin', role: 'admin' }
        : { sub: user.id, username: user.username, kind: 'user', tenant_id: user.tenant_id!, role: user.role };
    const expiresIn = Math.round(this.config.settings.tokenExpireHours * 3600);
    const access_token = await this.jwt.signAsync(claims, {
      secret: this.secrets.tokenSecret,
      algorithm: this.config.settings.jwtAlgorithm,
      expiresIn,
    });
    return { access_token, token_type: 'bearer', expires_in: expiresIn };
  }
}
