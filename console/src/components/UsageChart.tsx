/**
 * Tokens per day as an SVG bar chart, no chart library: a few dozen bars do
 * not need one, and SVG is readable by screen readers (role="img" with a
 * summary; the page also shows the same numbers as a table).
 */
export interface DayPoint {
  day: string;
  tokens: number;
  cost: number;
}

const W = 720;
const H = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 36 };

/** A round axis maximum (1, 2 or 5 × 10^n) at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max)!;
}

export function compact(n: number): string {
  return Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

export function UsageChart({ points }: { points: DayPoint[] }) {
  const max = niceMax(Math.max(0, ...points.map((p) => p.tokens)));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const bw = points.length ? iw / points.length : iw;
  const total = points.reduce((n, p) => n + p.tokens, 0);
  const label = `Tokens per day, ${points.length} days, ${total.toLocaleString()} tokens in all; the busiest day ${
    points.length ? points.reduce((a, b) => (b.tokens > a.tokens ? b : a)).day : 'none'
  }.`;
  const every = Math.max(1, Math.ceil(points.length / 10));
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      {[0, 0.5, 1].map((f) => {
        const y = PAD.top + ih - f * ih;
        return (
          <g key={f}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} stroke="#d0d7de" />
            <text x={PAD.left - 6} y={y + 4} textAnchor="end" fontSize="11" fill="#57606a">
              {compact(max * f)}
            </text>
          </g>
        );
      })}
      {points.map((p, i) => {
        const h = (p.tokens / max) * ih;
        const x = PAD.left + i * bw;
        return (
          <g key={p.day}>
            <rect x={x + bw * 0.15} y={PAD.top + ih - h} width={Math.max(1, bw * 0.7)} height={h} fill="#0b5cad">
              <title>
                {p.day}: {p.tokens.toLocaleString()} tokens, ${p.cost.toFixed(4)}
              </title>
            </rect>
            {i % every === 0 && (
              <text x={x + bw / 2} y={H - PAD.bottom + 16} textAnchor="middle" fontSize="11" fill="#57606a">
                {p.day.slice(5)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
