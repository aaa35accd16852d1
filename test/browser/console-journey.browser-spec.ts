import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD, ConsoleRun, describeWithChromium, ROOT, startConsole } from './harness';

/**
 * The web console as a person uses it, in headless Chromium against the built
 * server (test/browser/harness.ts boots both).
 *
 * A screenshot of each step goes to test-output/console/ (git-ignored, kept by CI).
 * With CONSOLE_DOCS_SCREENSHOT=1 the tenants page is also written to
 * docs/console-tenants.png, the README's picture.
 */
const PASSWORD = 'correct-horse-battery';

const describeIf = describeWithChromium('the console browser journey');

describeIf('the web console in headless Chromium', () => {
  let run: ConsoleRun;
  let base: string;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  const tag = Date.now().toString(36);
  const tenantName = `Acme ${tag}`;
  const owner = `owner-${tag}`;
  const viewer = `viewer-${tag}`;
  let tenantId = '';
  let rawKey = '';

  const shot = (name: string, p: Page = page) => run.shot(name, p);

  const signIn = async (username: string, password: string) => {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Strata' }).waitFor();
  };

  const nav = () => page.getByRole('navigation', { name: 'Main' });

  beforeAll(async () => {
    run = await startConsole();
    ({ base, browser, page, problems } = run);
  });

  afterAll(() => run?.close());

  it('/ opens the sign-in page; a wrong password is told so with its request id', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Sign in to Strata' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/');
    await shot('sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText('Username is required.').isVisible()).resolves.toBe(true);
    await signIn('admin', 'not-the-password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Wrong username or password[\s\S]*Request id: [0-9a-f-]{36}/);
    await shot('wrong-password');
  });

  it('the admin creates a tenant, a knowledge base, an owner, a viewer and an API key, and sees the raw key once', async () => {
    await signIn('admin', ADMIN_PASSWORD);
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await page.getByRole('button', { name: 'New tenant' }).click();
    await page.getByLabel('Name').fill(tenantName);
    await page.getByLabel('Tier').selectOption('premium');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByRole('status').filter({ hasText: 'created' }).waitFor();
    await page.getByRole('cell', { name: tenantName, exact: true }).waitFor();
    // Search narrows the list to the new tenant.
    await page.getByLabel('Search tenants').fill(tag);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('cell', { name: tenantName, exact: true }).waitFor();
    await shot('tenants');
    if (process.env.CONSOLE_DOCS_SCREENSHOT === '1') {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'docs', 'console-tenants.png') });
    }

    await page.getByRole('cell', { name: tenantName, exact: true }).getByRole('link').click();
    await page.getByRole('heading', { name: tenantName }).waitFor();
    tenantId = new URL(page.url()).pathname.split('/')[3];
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);
    await shot('tenant-overview');

    await nav().getByRole('link', { name: 'Knowledge bases' }).click();
    await page.getByRole('button', { name: 'New knowledge base' }).click();
    // The form validates before it sends.
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Name is required.').waitFor();
    await page.getByLabel('Name').fill('manuals');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: 'manuals', exact: true }).waitFor();
    await shot('knowledge-bases');

    await nav().getByRole('link', { name: 'Users' }).click();
    for (const [username, role] of [
      [owner, 'owner'],
      [viewer, 'viewer'],
    ]) {
      await page.getByRole('button', { name: 'Invite user' }).click();
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Initial password').fill(PASSWORD);
      await page.getByLabel('Role', { exact: true }).selectOption(role);
      await page.getByRole('button', { name: 'Create user' }).click();
      await page.getByRole('cell', { name: username, exact: true }).waitFor();
    }
    await shot('users');

    await nav().getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'New API key' }).click();
    await page.getByLabel('Name').fill('support-bot');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('You will not see it again').waitFor();
    rawKey = await page.getByLabel('Your new API key').inputValue();
    expect(rawKey).toMatch(/^sk-/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Copied|copy it with/ })
      .waitFor();
    await shot('api-key-once');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('cell', { name: 'support-bot', exact: true }).waitFor();
    expect(await page.content()).not.toContain(rawKey);
    // The key works against the API.
    const r = await fetch(`${base}/api/v1/tenants/${tenantId}/knowledge-bases`, { headers: { 'x-api-key': rawKey } });
    expect(r.status).toBe(200);
    await shot('api-keys');
  });

  it('sign-out clears the token; the owner signs in and sees the knowledge base, then revokes the key and the API refuses it', async () => {
    await signOut();
    expect(await page.evaluate(() => [(globalThis as any).sessionStorage.length, (globalThis as any).localStorage.length])).toEqual([0, 0]);
    await signIn(owner, PASSWORD);
    await page.getByRole('heading', { name: tenantName }).waitFor();
    expect(await page.evaluate(() => (globalThis as any).localStorage.length)).toBe(0);
    await nav().getByRole('link', { name: 'Knowledge bases' }).click();
    await page.getByRole('cell', { name: 'manuals', exact: true }).waitFor();
    expect(await nav().getByRole('link', { name: 'Tenants' }).count()).toBe(0);
    await shot('owner-knowledge-bases');

    await nav().getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Revoke support-bot' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('status').filter({ hasText: 'revoked' }).waitFor();
    await shot('key-revoked');
    const r = await fetch(`${base}/api/v1/tenants/${tenantId}/knowledge-bases`, { headers: { 'x-api-key': rawKey } });
    expect(r.status).toBe(401);
  });

  it('a viewer sees the knowledge bases but no write controls and no key or user pages', async () => {
    await signOut();
    await signIn(viewer, PASSWORD);
    await page.getByRole('heading', { name: tenantName }).waitFor();
    expect(await page.getByRole('button', { name: /edit|suspend|delete/i }).count()).toBe(0);
    await nav().getByRole('link', { name: 'Knowledge bases' }).click();
    await page.getByRole('cell', { name: 'manuals', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: /new knowledge base|rename|config|delete/i }).count()).toBe(0);
    expect(
      await nav()
        .getByRole('link', { name: /API keys|Users/ })
        .count(),
    ).toBe(0);
    await shot('viewer-knowledge-bases');
  });

  it('an expired token returns to the sign-in page with a message', async () => {
    // The viewer's session, with its token replaced by one whose exp has passed.
    const KEY = 'strata.console.token';
    const t = String(await page.evaluate((k) => (globalThis as any).sessionStorage.getItem(k), KEY)).split('.');
    t[1] = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(t[1], 'base64url').toString()), exp: Math.floor(Date.now() / 1000) - 60 })).toString('base64url');
    await page.evaluate(([k, v]) => (globalThis as any).sessionStorage.setItem(k, v), [KEY, t.join('.')]);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Strata' }).waitFor();
    await page.getByText('Your session has expired. Sign in again.').waitFor();
    await shot('expired');
  });

  it('the admin suspends the tenant and its owner is told so at sign-in; then deletes it with a typed confirmation', async () => {
    // Signing in again after an expiry returns to the page that was open (the viewer's knowledge bases).
    await signIn('admin', ADMIN_PASSWORD);
    await page.getByRole('cell', { name: 'manuals', exact: true }).waitFor();
    await page.goto(`${base}/console/tenants/${tenantId}`);
    await page.getByRole('heading', { name: tenantName }).waitFor();
    await page.getByRole('button', { name: 'Suspend tenant' }).click();
    await page.getByRole('button', { name: 'Resume tenant' }).waitFor();
    await signOut();
    await signIn(owner, PASSWORD);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('This tenant is suspended or deleted.');
    await shot('suspended-owner');

    await signIn('admin', ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(`${base}/console/tenants/${tenantId}`);
    await page.getByRole('button', { name: 'Delete tenant' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete tenant' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type .* to confirm/).fill('wrong');
    expect(await confirm.isDisabled()).toBe(true);
    const slug = await dialog.locator('code').textContent();
    await dialog.getByLabel(/Type .* to confirm/).fill(slug!);
    await shot('delete-typed-confirmation');
    await confirm.click();
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await page.getByLabel('Search tenants').fill(tag);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(`No tenant matches “${tag}”.`).waitFor();
  });

  it('at a 390-px viewport the nav opens from the Menu button', async () => {
    const narrow = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await narrow.goto(`${base}/console/`);
      await narrow.getByLabel('Username').fill('admin');
      await narrow.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
      await narrow.getByRole('button', { name: 'Sign in' }).click();
      await narrow.getByRole('heading', { name: 'Tenants' }).waitFor();
      const menu = narrow.getByRole('button', { name: 'Menu' });
      expect(await menu.getAttribute('aria-expanded')).toBe('false');
      expect(await narrow.getByRole('link', { name: 'Tenants' }).isVisible()).toBe(false);
      await menu.click();
      expect(await menu.getAttribute('aria-expanded')).toBe('true');
      expect(await narrow.getByRole('link', { name: 'Tenants' }).isVisible()).toBe(true);
      // Nothing is wider than the screen.
      expect(await narrow.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shot('narrow-390-menu', narrow);
    } finally {
      await narrow.close();
    }
  });

  it('the pages raised no CSP violation and no uncaught error', () => {
    expect(problems).toEqual([]);
  });
});
