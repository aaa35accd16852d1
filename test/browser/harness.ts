import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { freePort } from '../support/ports';
import { freshDatabase, TestDatabase } from '../support/test-db';

/**
 * What the console's browser specs share: the built server (`node
 * dist/src/main.js`, embedded PGlite in a temporary DATA_DIR, or
 * TEST_DATABASE_URL's server) and the built console in a real headless
 * Chromium driven by playwright-core. No browser is downloaded: Chromium is
 * CHROMIUM_PATH or Debian's /usr/bin/chromium (`apt-get install -y
 * chromium`; .ci/run installs it when missing). Without it a suite fails
 * under CI=true and is skipped, loudly, elsewhere.
 *
 * Screenshots go to test-output/console/ (git-ignored, kept by CI).
 */
export const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-output', 'console');
export const ADMIN_PASSWORD = 'console-admin-password';
const READY_DEADLINE_MS = 120_000;

export const haveChromium = existsSync(CHROMIUM);

/** `describe` when Chromium is there (or under CI, where its absence must fail), else `describe.skip` with a loud warning. */
export function describeWithChromium(suite: string): jest.Describe {
  if (!haveChromium && process.env.CI !== 'true') {
    console.warn(`\n!!! SKIPPING ${suite}: no Chromium at ${CHROMIUM}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH. !!!\n`);
  }
  return haveChromium || process.env.CI === 'true' ? describe : describe.skip;
}

export interface ConsoleRun {
  /** http://127.0.0.1:<port> */
  base: string;
  browser: Browser;
  page: Page;
  /** CSP violations, console errors (other than the 401/403/404 answers a page shows) and uncaught errors seen so far. */
  problems: string[];
  /** A full-page screenshot as test-output/console/<prefix>NN-<name>.png, numbered in order. */
  shot(name: string, p?: Page): Promise<void>;
  /** The server's output so far (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

/** Boots the server and Chromium and opens one page (1280×800, 30 s default waits) that records problems. */
export async function startConsole(opts: { shotPrefix?: string; env?: Record<string, string> } = {}): Promise<ConsoleRun> {
  if (!haveChromium) throw new Error(`No Chromium at ${CHROMIUM}: CI must install it (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  if (!existsSync(join(ROOT, 'dist', 'console', 'index.html'))) throw new Error('dist/console is missing: run `npm run build` first (npm test does).');
  mkdirSync(SHOTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'strata-console-'));
  let database: TestDatabase | null = null;
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let output = '';
  const close = async () => {
    await browser?.close().catch(() => undefined);
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    await database?.drop();
  };
  try {
    database = process.env.TEST_DATABASE_URL ? await freshDatabase() : null;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD,
        LOG_LEVEL: 'warn',
        ...(database?.env ?? {}),
        ...(opts.env ?? {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (d) => (output += d.toString()));
    server.stderr!.on('data', (d) => (output += d.toString()));
    const t0 = Date.now();
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}):\n${output.slice(-3000)}`);
      if (Date.now() - t0 > READY_DEADLINE_MS) throw new Error(`server not ready:\n${output.slice(-3000)}`);
      const ok = await fetch(`${base}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Generous: CI runs the browser specs beside the e2e tier on two shared cores; a step that never happens still fails.
    page.setDefaultTimeout(30_000);
    const problems: string[] = [];
    // A CSP violation or an uncaught error in the page fails the suite at its end.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/the server responded with a status of (401|403|404)/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    let step = 0;
    const shot = async (name: string, p: Page = page) => {
      step += 1;
      await p.screenshot({ path: join(SHOTS, `${opts.shotPrefix ?? ''}${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
    };
    return { base, browser, page, problems, shot, output: () => output, close };
  } catch (err) {
    await close();
    throw err;
  }
}
