import { spawn } from 'node:child_process';

export interface HealthStats {
  /** Requests answered. */
  count: number;
  /** Slowest GET /health, in ms (a request still open when stopped counts with its age). */
  maxMs: number;
  /** Non-200 answers and connection errors. */
  errors: number;
}

/**
 * Another client, in its own process, polling `GET /health` every 50 ms while
 * a test runs something hostile against the server; `stop()` returns the
 * slowest answer. A server whose event loop is blocked shows here as a slow
 * /health, whatever the test process itself is doing.
 */
export function watchHealth(baseUrl: string): { ready: Promise<void>; stop(): Promise<HealthStats> } {
  const script = `
    const http = require('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let count = 0, maxMs = 0, errors = 0, openSince = null, stopping = false;
    const once = () => new Promise((resolve) => {
      openSince = Date.now();
      const req = http.get(process.argv[1] + '/health', { agent }, (res) => {
        res.resume();
        res.on('end', () => { if (res.statusCode !== 200) errors++; resolve(); });
      });
      req.on('error', () => { errors++; resolve(); });
    }).then(() => {
      maxMs = Math.max(maxMs, Date.now() - openSince); openSince = null;
      if (count++ === 0) process.stdout.write('ready\\n');
    });
    (async () => { while (!stopping) { await once(); await new Promise((r) => setTimeout(r, 50)); } })();
    process.stdin.on('data', () => {
      stopping = true;
      if (openSince !== null) maxMs = Math.max(maxMs, Date.now() - openSince);
      process.stdout.write(JSON.stringify({ count, maxMs, errors }) + '\\n', () => process.exit(0));
    });
  `;
  const child = spawn(process.execPath, ['-e', script, baseUrl], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (d) => {
    out += d;
    if (out.startsWith('ready\n')) {
      out = out.slice('ready\n'.length);
      markReady();
    }
  });
  return {
    /** Resolves once the watcher has had its first answer (a loaded machine may take a while to start a process). */
    ready,
    stop: () =>
      new Promise<HealthStats>((resolve, reject) => {
        child.once('exit', () => {
          try {
            resolve(JSON.parse(out.replace(/^ready\n/, '').trim()));
          } catch {
            reject(new Error(`health watcher printed ${JSON.stringify(out)}`));
          }
        });
        child.stdin.write('stop\n');
      }),
  };
}

/** Peak resident set size of this process (threads included) sampled every 25 ms while `work` runs. */
export async function peakRssDuring<T>(work: () => Promise<T>): Promise<{ result: T; baseMb: number; peakMb: number }> {
  const mb = () => process.memoryUsage.rss() / 1024 / 1024;
  const baseMb = mb();
  let peakMb = baseMb;
  const timer = setInterval(() => (peakMb = Math.max(peakMb, mb())), 25);
  try {
    const result = await work();
    peakMb = Math.max(peakMb, mb());
    return { result, baseMb, peakMb };
  } finally {
    clearInterval(timer);
  }
}
