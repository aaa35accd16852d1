import { Delete, Get, Post, Query } from '@nestjs/common';
import { RequirePermissions } from '../../../context/decorators';
import { TenantContext } from '../../../context/tenant-context';
import { GraphService, KnowledgeGraph } from '../../../graph/graph.service';
import { LightragHttpError } from './lightrag-errors';
import { LightragController, LightragRoute } from './lightrag-route';
import { parseLightrag } from './lightrag-validation';
import { EntityExistsQuery, GraphsQuery, PopularLabelsQuery, SearchLabelsQuery } from './lightrag-graph.dto';

/** LightRAG's /graph/label/list: every label; Strata caps the answer so one request stays bounded. */
export const LABEL_LIST_CAP = 10_000;
const NOT_IMPLEMENTED = 'Not implemented by Strata: the knowledge graph is built from documents and cannot be edited through the LightRAG API yet.';

/**
 * LightRAG's graph routes (graph_routes.py): labels, subgraphs and entity
 * lookups of the resolved KB, as bare JSON. Editing routes answer 501.
 */
@LightragController('')
export class LightragGraphController {
  constructor(
    private readonly graph: GraphService,
    private readonly context: TenantContext,
  ) {}

  private kb(): [string, string] {
    return [this.context.requireTenantId(), this.context.kbId!];
  }

  @Get('graph/label/list')
  @LightragRoute('kb')
  @RequirePermissions('graph:read')
  labelList(): Promise<string[]> {
    return this.graph.allLabels(...this.kb(), LABEL_LIST_CAP);
  }

  @Get('graph/label/popular')
  @LightragRoute('kb')
  @RequirePermissions('graph:read')
  popular(@Query() query: unknown): Promise<string[]> {
    const q = parseLightrag(PopularLabelsQuery, query, 'query');
    return this.graph.popularLabels(...this.kb(), q.limit);
  }

  @Get('graph/label/search')
  @LightragRoute('kb')
  @RequirePermissions('graph:read')
  search(@Query() query: unknown): Promise<string[]> {
    const q = parseLightrag(SearchLabelsQuery, query, 'query');
    return this.graph.searchLabels(...this.kb(), q.q, q.limit);
  }

  @Get('graphs')
  @LightragRoute('kb')
  @RequirePermissions('graph:read')
  graphs(@Query() query: unknown): Promise<KnowledgeGraph> {
    const q = parseLightrag(GraphsQuery, query, 'query');
    return this.graph.subgraph(...this.kb(), q.label, q.max_depth, q.max_nodes);
  }

  @Get('graph/entity/exists')
  @LightragRoute('kb')
  @RequirePermissions('graph:read')
  async exists(@Query() query: unknown): Promise<{ exists: boolean }> {
    const q = parseLightrag(EntityExistsQuery, query, 'query');
    return { exists: await this.graph.entityExists(...this.kb(), q.name) };
  }

  // Graph editing (LightRAG's property editor, merge and create): not offered yet. kb:write, as any change to a KB.
  @Post(['graph/entity/edit', 'graph/relation/edit', 'graph/entity/create', 'graph/relation/create', 'graph/entities/merge'])
  @LightragRoute('kb')
  @RequirePermissions('kb:write')
  edit(): never {
    throw new LightragHttpError(501, NOT_IMPLEMENTED);
  }

  @Delete(['graph/entity/delete', 'graph/relation/delete'])
  @LightragRoute('kb')
  @RequirePermissions('kb:write')
  remove(): never {
    throw new LightragHttpError(501, NOT_IMPLEMENTED);
  }
}
