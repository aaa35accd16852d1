import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../context/decorators';
import { Page } from '../common/envelope';
import { PageQuery } from '../common/pagination';
import { GraphQuery } from './graph.dto';
import { GraphService, KnowledgeGraph } from './graph.service';

@ApiTags('graph')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tenants/:tenantId/knowledge-bases/:kbId/graph')
export class GraphController {
  constructor(private readonly graph: GraphService) {}

  @Get()
  @RequirePermissions('graph:read')
  @ApiOperation({ summary: 'Subgraph around an entity (breadth-first, max_depth hops, at most max_nodes nodes): {nodes, edges, is_truncated}' })
  subgraph(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @Query() q: GraphQuery): Promise<KnowledgeGraph> {
    return this.graph.subgraph(tenantId, kbId, q.label, q.max_depth, q.max_nodes);
  }

  @Get('labels')
  @RequirePermissions('graph:read')
  @ApiOperation({ summary: 'Entity names of the KB (paginated, alphabetical)' })
  labels(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @Query() q: PageQuery): Promise<Page<string>> {
    return this.graph.labels(tenantId, kbId, q.limit, q.offset);
  }
}
