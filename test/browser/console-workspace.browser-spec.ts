import type { Page } from 'playwright-core';
import { minimalPdf } from '../../src/documents/parsers/testing/fixtures';
import { ADMIN_PASSWORD, ConsoleRun, describeWithChromium, startConsole } from './harness';

/**
 * The console's KB workspace in headless Chromium (test/browser/harness.ts
 * boots the built server and Chromium): an owner of a tenant seeded through
 * the API uploads a Markdown file (dropped on the drop zone) and a PDF (file
 * picker) and watches both reach `processed`, asks the playground and sees
 * the streamed answer with references, opens the graph explorer, finds an
 * entity and sees its details (clicked on sigma's canvas, and from the
 * list), and a relation's, verifies the tenant's audit chain; a viewer
 * of the same tenant sees no upload or delete control. The built-in local
 * model providers answer (no network). Screenshots: test-output/console/workspace-*.png.
 */
const PASSWORD = 'correct-horse-battery';
const MD = [
  '# Harbour operations',
  '',
  'Marta Kowalski runs the Northgate Harbour Authority. The Northgate Harbour Authority inspects every ferry each spring.',
  '',
  'Ferries that fail the inspection stay in Northgate Dock until Marta Kowalski signs the repair report.',
].join('\n');
const PDF = minimalPdf(['The Lighthouse Trust funds the Northgate Harbour Authority.', 'Marta Kowalski chairs the Lighthouse Trust.']);

const describeIf = describeWithChromium('the console workspace browser spec');

/** Waits until `check` holds, at most `attempts` times `everyMs`; fails with `what` (and the last state) otherwise. */
async function eventually(what: string, check: () => Promise<string | true>, attempts = 120, everyMs = 500): Promise<void> {
  let last = '';
  for (let i = 0; i < attempts; i++) {
    const r = await check();
    if (r === true) return;
    last = r;
    await new Promise((res) => setTimeout(res, everyMs));
  }
  throw new Error(`${what} did not happen after ${attempts} checks; last seen: ${last}`);
}

/**
 * The centre of the pixels of one colour in a screenshot (PNG), decoded by the page itself
 * (an <img> of a data: URL, which the console's CSP allows, drawn on a 2D canvas); null when none.
 */
async function colourSpot(page: Page, png: Buffer, [r, g, b]: number[]): Promise<{ x: number; y: number } | null> {
  return page.evaluate(
    `(async () => {
      const img = new Image();
      img.src = 'data:image/png;base64,${png.toString('base64')}';
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let sx = 0, sy = 0, n = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (Math.abs(d[i] - ${r}) < 12 && Math.abs(d[i + 1] - ${g}) < 12 && Math.abs(d[i + 2] - ${b}) < 12) {
          const p = i / 4;
          sx += p % c.width;
          sy += Math.floor(p / c.width);
          n++;
        }
      }
      return n > 4 ? { x: sx / n, y: sy / n } : null;
    })()`,
  );
}

describeIf('the console KB workspace in headless Chromium', () => {
  let run: ConsoleRun;
  let page: Page;
  const tag = Date.now().toString(36);
  const owner = `ws-owner-${tag}`;
  const viewer = `ws-viewer-${tag}`;
  let tenantId = '';
  let kbId = '';

  const json = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await fetch(`${run.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = (await r.json()) as { data: Record<string, string> };
    if (!r.ok) throw new Error(`${method} ${path} → ${r.status}: ${JSON.stringify(parsed)}`);
    return parsed.data;
  };

  const signIn = async (username: string) => {
    await page.goto(`${run.base}/console/`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  };

  beforeAll(async () => {
    run = await startConsole({ shotPrefix: 'workspace-' });
    page = run.page;
    // The tenant, its KB and two users through the API (the journey spec creates them through the UI).
    const login = await fetch(`${run.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const admin = ((await login.json()) as { data: { access_token: string } }).data.access_token;
    tenantId = (await json('POST', '/tenants', admin, { tenant_name: `Workspace ${tag}` })).tenant_id;
    kbId = (await json('POST', `/tenants/${tenantId}/knowledge-bases`, admin, { kb_name: 'harbour' })).kb_id;
    await json('POST', `/tenants/${tenantId}/users`, admin, { username: owner, password: PASSWORD, role: 'owner' });
    await json('POST', `/tenants/${tenantId}/users`, admin, { username: viewer, password: PASSWORD, role: 'viewer' });
  });

  afterAll(() => run?.close());

  it('the owner uploads a dropped .md and a picked .pdf, each with its progress bar, and both reach processed', async () => {
    await signIn(owner);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Knowledge bases' }).click();
    await page.getByRole('link', { name: 'harbour' }).click();
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/tenants/${tenantId}/knowledge-bases/${kbId}/documents`);

    // Drag and drop: a real drop event carrying a File in its DataTransfer.
    // (Runs in the page: the browser's DataTransfer and File, which the server-side types do not declare.)
    const dataTransfer = await page.evaluateHandle((text) => {
      const w = globalThis as unknown as {
        DataTransfer: new () => { items: { add(f: unknown): void } };
        File: new (parts: string[], name: string, o: { type: string }) => unknown;
      };
      const dt = new w.DataTransfer();
      dt.items.add(new w.File([text], 'harbour.md', { type: 'text/markdown' }));
      return dt;
    }, MD);
    await page.locator('.dropzone').dispatchEvent('dragover', { dataTransfer });
    await page.locator('.dropzone').dispatchEvent('drop', { dataTransfer });
    // The file picker.
    await page.getByLabel('Choose files').setInputFiles({ name: 'trust.pdf', mimeType: 'application/pdf', buffer: PDF });

    const uploads = page.getByRole('list', { name: 'Uploads' });
    await uploads.getByText('harbour.md').waitFor();
    await uploads.getByText('trust.pdf').waitFor();
    for (const name of ['harbour.md', 'trust.pdf']) {
      await eventually(`the upload of ${name} finishing`, async () => {
        const value = await page.getByRole('progressbar', { name: `Upload of ${name}` }).getAttribute('value');
        return value === '100' ? true : `progress ${value}`;
      });
    }
    await run.shot('uploaded');

    for (const name of ['harbour.md', 'trust.pdf']) {
      await eventually(
        `${name} reaching processed`,
        async () => {
          const row = page.getByRole('row').filter({ hasText: name });
          if ((await row.count()) === 0) return 'no row yet';
          const status = (await row.locator('.badge').first().textContent()) ?? '';
          if (status === 'failed') throw new Error(`${name} failed: ${await row.textContent()}`);
          return status === 'processed' ? true : status;
        },
        240,
      );
    }
    // Nothing in flight: the page says it stopped polling.
    await eventually('the polling notice going away', async () => ((await page.getByText('statuses refresh every 2 seconds').count()) === 0 ? true : 'still polling'));
    await run.shot('documents-processed');
  });

  it('the playground streams an answer with references, and the context-only view lists chunks and entities', async () => {
    await page.getByRole('navigation', { name: 'Knowledge base' }).getByRole('link', { name: 'Query playground' }).click();
    await page.getByLabel('Question').fill('Who runs the Northgate Harbour Authority?');
    await page.getByLabel('Mode', { exact: true }).selectOption('naive');
    await page.getByRole('button', { name: 'Ask' }).click();
    await page.getByText('Done.').waitFor({ timeout: 60_000 });
    const answer = (await page.getByTestId('answer').textContent()) ?? '';
    expect(answer.trim().length).toBeGreaterThan(0);
    const refs = page.getByRole('list', { name: 'References' });
    await refs.waitFor();
    expect(await refs.getByRole('listitem').count()).toBeGreaterThan(0);
    expect(await refs.textContent()).toMatch(/harbour\.md|trust\.pdf/);
    await page.getByRole('button', { name: 'Show chunk texts' }).click();
    await refs.locator('blockquote').first().waitFor();
    expect(await refs.textContent()).toMatch(/Northgate/);
    await run.shot('playground-answer');

    await page.getByLabel('Mode', { exact: true }).selectOption('mix');
    await page.getByLabel(/Context only/).check();
    await page.getByRole('button', { name: 'Ask' }).click();
    await page.getByRole('heading', { name: 'Retrieved context' }).waitFor({ timeout: 60_000 });
    expect(await page.getByRole('list', { name: 'Chunks' }).getByRole('listitem').count()).toBeGreaterThan(0);
    await page.getByRole('heading', { name: /^Entities \(\d+\)$/ }).waitFor();
    await run.shot('playground-context');
  });

  it('the graph explorer finds an entity by name and shows its details when it is clicked on the canvas or picked from the list, and a relation’s', async () => {
    await page.getByRole('navigation', { name: 'Knowledge base' }).getByRole('link', { name: 'Graph explorer' }).click();
    await page.getByRole('heading', { name: 'Graph explorer' }).waitFor();
    const names = page.getByRole('list', { name: 'Entity names' });
    await names.getByRole('button').nth(1).waitFor();
    await page.getByLabel('Search entities').fill('Marta');
    const hit = names.getByRole('button', { name: /Marta/i }).first();
    await hit.waitFor();
    const label = ((await hit.textContent()) ?? '').trim();
    await hit.click();
    await page.getByText(new RegExp(`around ${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)).waitFor();
    // sigma.js drew the view into its canvases: click the one person (the palette's first colour, #0072B2) on the canvas itself.
    const canvas = page.getByTestId('graph-canvas');
    await canvas.locator('canvas').first().waitFor();
    let spot: { x: number; y: number } | null = null;
    await eventually('the person node appearing on the canvas', async () => {
      spot = await colourSpot(page, await canvas.screenshot(), [0x00, 0x72, 0xb2]);
      return spot ? true : 'no pixel of the person colour yet';
    });
    const box = (await canvas.boundingBox())!;
    await page.mouse.click(box.x + spot!.x, box.y + spot!.y);
    const details = page.getByRole('region', { name: 'Entity details' });
    await details.getByRole('heading', { name: label }).waitFor();
    expect(await details.textContent()).toMatch(/Typeperson/);
    await run.shot('graph-entity');

    // The keyboard path: the list of the same entities.
    await page.getByText(/Entities as a list/).click();
    await page.getByRole('list', { name: 'Entities in the view' }).getByRole('button', { name: 'Lighthouse Trust', exact: true }).click();
    await details.getByRole('heading', { name: 'Lighthouse Trust' }).waitFor();
    // A relation of it, from its details.
    await details
      .getByRole('button', { name: /Lighthouse Trust/ })
      .first()
      .click();
    const relation = page.getByRole('region', { name: 'Relation details' });
    await relation.getByRole('heading', { name: /Lighthouse Trust/ }).waitFor();
    expect(await relation.textContent()).toMatch(/Keywords/);
  });

  it('the audit log lists the uploads and verifies the tenant’s chain as valid', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByRole('cell', { name: 'document.add' }).first().waitFor();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    const verdict = page.getByRole('status').filter({ hasText: 'Chain valid' });
    await verdict.waitFor();
    expect(await verdict.textContent()).toMatch(/\d+ entries checked/);
    await run.shot('audit-verified');
  });

  it('a viewer sees the documents but no upload, paste or delete control', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(viewer);
    await page.goto(`${run.base}/console/tenants/${tenantId}/knowledge-bases/${kbId}/documents`);
    await page.getByRole('row').filter({ hasText: 'harbour.md' }).waitFor();
    expect(await page.getByLabel('Choose files').count()).toBe(0);
    expect(await page.getByRole('button', { name: /delete|add text/i }).count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await run.shot('viewer-documents');
  });

  it('the pages raised no CSP violation and no uncaught error', () => {
    expect(run.problems).toEqual([]);
  });
});
