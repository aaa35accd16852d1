import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../common/audit-action';
import { CurrentPrincipal, RequirePermissions } from '../context/decorators';
import type { Principal } from '../context/principal';
import { Page } from '../common/envelope';
import { PageQuery } from '../common/pagination';
import { UuidParam } from '../common/params';
import { CreateUserDto, UpdateUserDto, UserDto } from './users.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tenants/:tenantId/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @RequirePermissions('user:manage')
  @AuditAction('user.create')
  @ApiOperation({ summary: 'Create a tenant user (owner, member or viewer)' })
  create(@Param('tenantId') tenantId: string, @CurrentPrincipal() principal: Principal, @Body() body: CreateUserDto): Promise<UserDto> {
    return this.users.create(tenantId, principal, body);
  }

  @Get()
  @RequirePermissions('user:manage')
  @ApiOperation({ summary: 'List the tenant’s users' })
  list(@Param('tenantId') tenantId: string, @Query() q: PageQuery): Promise<Page<UserDto>> {
    return this.users.list(tenantId, q.limit, q.offset);
  }

  @Get(':userId')
  @RequirePermissions('user:manage')
  @ApiOperation({ summary: 'Get a tenant user' })
  get(@Param('tenantId') tenantId: string, @UuidParam('userId') userId: string): Promise<UserDto> {
    return this.users.get(tenantId, userId);
  }

  @Patch(':userId')
  @RequirePermissions('user:manage')
  @AuditAction('user.update')
  @ApiOperation({ summary: 'Change a user’s password, role or active flag' })
  update(@Param('tenantId') tenantId: string, @CurrentPrincipal() principal: Principal, @UuidParam('userId') userId: string, @Body() body: UpdateUserDto): Promise<UserDto> {
    return this.users.update(tenantId, principal, userId, body);
  }

  @Delete(':userId')
  @RequirePermissions('user:manage')
  @AuditAction('user.delete')
  @ApiOperation({ summary: 'Delete a tenant user' })
  remove(@Param('tenantId') tenantId: string, @CurrentPrincipal() principal: Principal, @UuidParam('userId') userId: string): Promise<{ user_id: string; deleted: true }> {
    return this.users.remove(tenantId, principal, userId);
  }
}
