/**
 * The purchase bench's figures as an SVG (README's chart): throughput (P1, purchases/s) and p99
 * latency at a fixed arrival rate (P2, ms) for direct calls to DOKU, the minimal reference and the
 * app, as two groups of bars. Plain SVG text, no dependency; written only when BENCH_CHART names a
 * file, from the figures of the run that prints them.
 */
export interface ChartFigures {
  when: string;
  machine: string;
  p1: { direct: number; reference: number; app: number };
  p99: { direct: number; reference: number; app: number };
}

const SIDES = ['direct', 'reference', 'app'] as const;
const COLOURS: Record<(typeof SIDES)[number], string> = { direct: '#8c8c8c', reference: '#4e79a7', app: '#e15759' };

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

function group(x0: number, title: string, unit: string, values: Record<(typeof SIDES)[number], number>): string {
  const top = 60;
  const height = 180;
  const max = Math.max(...SIDES.map((s) => values[s]), 1);
  const parts = [`<text x="${x0 + 135}" y="${top - 25}" text-anchor="middle" font-weight="bold">${escape(title)}</text>`];
  SIDES.forEach((side, i) => {
    const h = Math.round((values[side] / max) * height);
    const x = x0 + 20 + i * 85;
    parts.push(
      `<rect x="${x}" y="${top + height - h}" width="60" height="${h}" fill="${COLOURS[side]}"/>`,
      `<text x="${x + 30}" y="${top + height - h - 6}" text-anchor="middle">${values[side]} ${escape(unit)}</text>`,
      `<text x="${x + 30}" y="${top + height + 18}" text-anchor="middle">${side}</text>`,
    );
  });
  return parts.join('\n  ');
}

export function purchaseChartSvg(f: ChartFigures): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="300" viewBox="0 0 640 300" font-family="sans-serif" font-size="12">
  <rect width="640" height="300" fill="white"/>
  ${group(20, 'P1 purchases/s (higher is better)', '/s', f.p1)}
  ${group(340, 'P2 p99 at a fixed rate (lower is better)', 'ms', f.p99)}
  <text x="320" y="290" text-anchor="middle" fill="#555">${escape(`npm run bench:purchase, ${f.when}, ${f.machine}`)}</text>
</svg>
`;
}
