import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config';
import { isPermission, ROLE_PERMISSIONS, TENANT_ROLES, TenantRole } from '../context/permissions';
import { Principal } from '../context/principal';
import { AuthFailure } from './api-key-authenticator';
import { SecretsService } from './secrets.service';

export interface JwtClaims {
  sub: string;
  username: string;
  kind: 'admin' | 'user';
  tenant_id?: string;
  role: 'admin' | TenantRole;
  /** users.token_version when the token was issued; a password change makes older tokens invalid. */
  ver: number;
  iat?: number;
  exp?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Bearer JWTs, verified with @nestjs/jwt (JwtService.verifyAsync): the
 * algorithm is pinned to JWT_ALGORITHM, so `alg: none` and algorithm swaps
 * fail; exp is required and enforced (a token without exp is refused: the
 * verifier alone would accept it forever). Claims are trusted only after the
 * signature checks out, and even then the guard re-reads the user or admin
 * from the database (UserStatusService): the id must exist, be active and
 * still be at the token's `ver`.
 */
@Injectable()
export class JwtVerifier {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly secrets: SecretsService,
  ) {}

  async verify(token: string): Promise<Principal> {
    let claims: unknown;
    try {
      claims = await this.jwt.verifyAsync<object>(token, {
        secret: this.secrets.tokenSecret,
        algorithms: [this.config.settings.jwtAlgorithm],
        ignoreExpiration: false,
      });
    } catch {
      throw new AuthFailure('bad_token', 'The bearer token is invalid or has expired.');
    }
    const principal = principalFromClaims(claims);
    if (!principal) throw new AuthFailure('bad_token', 'The bearer token is invalid or has expired.');
    return principal;
  }
}

/** The principal a verified token names, or null when its claims are not exactly an admin's or a tenant user's. */
export function principalFromClaims(value: unknown): Principal | null {
  if (!value || typeof value !== 'object') return null;
  const claims = value as Partial<JwtClaims>;
  if (typeof claims.sub !== 'string' || !UUID.test(claims.sub) || typeof claims.username !== 'string') return null;
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return null;
  if (!Number.isSafeInteger(claims.ver) || (claims.ver as number) < 0) return null;
  const ver = claims.ver as number;
  if (claims.kind === 'admin' && claims.role === 'admin' && claims.tenant_id === undefined) {
    return { kind: 'admin', id: claims.sub, username: claims.username, tokenVersion: ver };
  }
  if (claims.kind === 'user' && typeof claims.tenant_id === 'string' && UUID.test(claims.tenant_id) && TENANT_ROLES.includes(claims.role as TenantRole)) {
    const role = claims.role as TenantRole;
    return {
      kind: 'user',
      id: claims.sub,
      username: claims.username,
      tenantId: claims.tenant_id,
      role,
      permissions: new Set(ROLE_PERMISSIONS[role].filter(isPermission)),
      tokenVersion: ver,
    };
  }
  return null;
}
