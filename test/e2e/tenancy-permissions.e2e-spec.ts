import { classOf, declaredRoutes, openApiRoutes } from '../support/route-matrix';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * A snapshot of what every route of the running app requires, read from its
 * decorators. Adding a route or changing who may
 * call one changes this snapshot, so the change shows up in review. When the
 * change is intended: run this file with `-u` and commit the .snap file (CI
 * runs with CI=true, where a missing or different snapshot fails).
 */
describe('tenancy: the permission declaration of every route', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('matches the reviewed snapshot', async () => {
    const declared = declaredRoutes(t.app);
    const documented = openApiRoutes(JSON.parse((await t.http.get('/docs-json')).text));
    // Routes served outside Nest controllers (none today) would have no declaration at all: list them too.
    const undeclared = documented.filter((r) => !declared.some((d) => d.route === r)).map((r) => `${r} → (not a controller route)`);
    const lines = declared.map((d) => `${d.route} → ${classOf(d)}${d.permissions.length ? ` [${d.permissions.join(', ')}]` : ''}`);
    expect(lines.length).toBeGreaterThan(20);
    expect([...lines, ...undeclared].sort()).toMatchSnapshot();
  });
});
