import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppConfig } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { TenantEvents } from '../context/tenant-events';
import { TenantContext } from '../context/tenant-context';
import { EngineMetrics, KnowledgeBaseLookup, ModelBudget, TenantLlmKeys, UsageSink } from '../rag/ports';
import { RagModule } from '../rag/rag.module';

/** Stand-ins for what the engine needs besides its ports (global in the app). */
@Module({
  providers: [
    { provide: AppConfig, useValue: {} },
    { provide: DatabaseService, useValue: {} },
    { provide: TenantEvents, useValue: {} },
    { provide: TenantContext, useValue: {} },
  ],
  exports: [AppConfig, DatabaseService, TenantEvents, TenantContext],
})
class Infrastructure {}

const ALL = [UsageSink, ModelBudget, EngineMetrics, KnowledgeBaseLookup, TenantLlmKeys];

/** The engine's ports are required: wiring that leaves one out fails when the module is compiled (at boot), not later. */
describe('RagModule ports', () => {
  it.each(ALL.map((p) => [p.name, p]))('without %s the module does not compile', async (name, missing) => {
    const present = ALL.filter((p) => p !== missing);
    @Module({ imports: [Infrastructure], providers: present.map((p) => ({ provide: p, useValue: {} })), exports: [...present, Infrastructure] })
    class Ports {}
    await expect(Test.createTestingModule({ imports: [RagModule.withPorts(Ports)] }).compile()).rejects.toThrow(new RegExp(`${name}`));
  });
});
