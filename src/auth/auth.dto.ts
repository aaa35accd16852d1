import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { PERMISSIONS, Permission, TENANT_ROLES, TenantRole } from '../context/permissions';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  username: string;

  @ApiProperty({ example: 'a-long-password' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({
    description: 'The tenant to log in to; needed only when the same username exists in several tenants (usernames are unique per tenant). Omit it for the platform admin.',
    format: 'uuid',
  })
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}

export class TokenDto {
  @ApiProperty() access_token: string;
  @ApiProperty({ example: 'bearer' }) token_type: 'bearer';
  @ApiProperty({ description: 'Lifetime in seconds' }) expires_in: number;
}

/**
 * GET /auth/me: the caller as the server holds it now (not as its token says).
 * Every field is present for every kind; a field that does not apply is null.
 */
export class MeDto {
  @ApiProperty({ enum: ['admin', 'user', 'api_key'] }) kind: 'admin' | 'user' | 'api_key';
  @ApiProperty({ description: 'The user id (platform admin, tenant user) or the key id', format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, type: String, description: 'The platform admin’s or tenant user’s name; null for an API key' }) username: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The API key’s name; null for the admin and users' }) key_name: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The API key’s visible prefix (sk- and 8 characters); null for the admin and users' })
  key_prefix: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The caller’s tenant; null for the platform admin' }) tenant_id: string | null;
  @ApiProperty({
    nullable: true,
    enum: ['admin', ...TENANT_ROLES],
    description: 'admin for the platform admin; a tenant user’s role as stored now (a demotion shows at once); null for an API key',
  })
  role: 'admin' | TenantRole | null;
  @ApiProperty({ enum: PERMISSIONS, isArray: true, description: 'What the caller may do now: every permission (admin), its role’s (user), or the key’s own' })
  permissions: Permission[];
  @ApiProperty({ nullable: true, type: [String], description: 'An API key’s KB scope (["*"]: every KB of the tenant); null for the admin and users' })
  knowledge_base_ids: string[] | null;
  @ApiProperty({ nullable: true, type: String, description: 'When an API key stops working (null: never, or not a key)' }) expires_at: string | null;
}
