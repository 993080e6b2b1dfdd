// make bench's report: medians, ratios to plain and to each set-up,
// failed repetitions and set-ups, the chart data and the Markdown table.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../../scripts/bench-report.js');

interface SetupResult {
  values: number[];
  failed: number;
  median: number | null;
  ratio_to_plain: number | null;
  ratios: Record<string, number | null>;
}
interface Workload {
  id: string;
  unit: string;
  better: string;
  results: Record<string, SetupResult>;
}
interface Report {
  repetitions: number;
  setups: string[];
  workloads: Workload[];
  setup_status: { id: string; status: string }[];
  micro: Record<string, string>;
}

// rows: [rep, setup, workload, unit, value]
function runReport(rows: (string | number)[][], extra: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  fs.writeFileSync(path.join(dir, 'rows.tsv'), rows.map((r) => r.join('\t')).join('\n') + '\n');
  for (const [name, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), text);
  execFileSync('node', [SCRIPT, dir]);
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as Report;
  const md = fs.readFileSync(path.join(dir, 'results.md'), 'utf8');
  const chart = fs.readFileSync(path.join(dir, 'chart.dat'), 'utf8');
  fs.rmSync(dir, { recursive: true });
  return { report, md, chart };
}

function workload(report: Report, id: string): Workload {
  const w = report.workloads.find((x) => x.id === id);
  if (!w) throw new Error(`expected workload ${id} in the report, got ${report.workloads.map((x) => x.id).join(',')}`);
  return w;
}

// Three interleaved repetitions of a rate and a time on three set-ups.
const ROWS = [
  [1, 'plain', 'dd-write', 'MB/s', 50], [1, 'takakrypt', 'dd-write', 'MB/s', 20], [1, 'gocryptfs', 'dd-write', 'MB/s', 10],
  [2, 'plain', 'dd-write', 'MB/s', 40], [2, 'takakrypt', 'dd-write', 'MB/s', 25], [2, 'gocryptfs', 'dd-write', 'MB/s', 'failed'],
  [3, 'plain', 'dd-write', 'MB/s', 60], [3, 'takakrypt', 'dd-write', 'MB/s', 30], [3, 'gocryptfs', 'dd-write', 'MB/s', 12],
  [1, 'plain', 'untar', 's', 4], [1, 'takakrypt', 'untar', 's', 8], [1, 'gocryptfs', 'untar', 's', 'failed'],
  [2, 'plain', 'untar', 's', 2], [2, 'takakrypt', 'untar', 's', 10], [2, 'gocryptfs', 'untar', 's', 'failed'],
  [3, 'plain', 'untar', 's', 3], [3, 'takakrypt', 'untar', 's', 9], [3, 'gocryptfs', 'untar', 's', 'failed'],
];

describe('bench-report medians and ratios', () => {
  const { report } = runReport(ROWS);

  test.each([
    ['dd-write', 'plain', 50, 0, null],
    ['dd-write', 'takakrypt', 25, 0, 0.5],
    ['dd-write', 'gocryptfs', 11, 1, 0.22],
    ['untar', 'plain', 3, 0, null],
    ['untar', 'takakrypt', 9, 0, 3],
    ['untar', 'gocryptfs', null, 3, null],
  ])('%s on %s: median %p, %p failed, ratio to plain %p', (id, setup, med, failed, ratio) => {
    const r = workload(report, id).results[setup];
    expect(r.median).toBe(med);
    expect(r.failed).toBe(failed);
    expect(r.ratio_to_plain).toBe(ratio);
  });

  test.each([
    ['dd-write', 'takakrypt', 'gocryptfs', 2.27],
    ['dd-write', 'gocryptfs', 'takakrypt', 0.44],
    ['untar', 'takakrypt', 'gocryptfs', null],
  ])('%s: %s ÷ %s is %p', (id, setup, other, ratio) => {
    expect(workload(report, id).results[setup].ratios[other]).toBe(ratio);
  });

  test('set-ups and workloads come in display order, units give the direction', () => {
    expect(report.setups).toEqual(['plain', 'takakrypt', 'gocryptfs']);
    expect(report.workloads.map((w) => [w.id, w.better])).toEqual([['dd-write', 'higher'], ['untar', 'lower']]);
    expect(report.repetitions).toBe(3);
  });
});

describe('bench-report on the guest\'s AVX2 setting', () => {
  test.each([
    ['avoid', 'were told not to use AVX2 routines'],
    ['keep', 'used their AVX2 routines (`--guest-avx2`)'],
  ])('meta.txt guest_avx2=%s is stated in the Markdown', (value, line) => {
    const { md } = runReport(ROWS, { 'meta.txt': `date=2026-12-06T08:00Z\nguest_avx2=${value}\n` });
    expect(md).toContain(line);
  });

  test('without the setting (older runs) the Markdown states none', () => {
    const { md } = runReport(ROWS);
    expect(md).not.toMatch(/AVX2/);
  });
});

describe('bench-report outputs', () => {
  const { md, chart } = runReport(ROWS, {
    'setups.txt': 'plain\tready\t/x\ntakakrypt\tready\t/y\ngocryptfs\tfailed\t-\n',
    'failures.txt': '== rep 0, gocryptfs, setup\ncommand: setup_gocryptfs\n',
    'policy.txt': 'decisions per second: 123\n',
  });

  test.each([
    ['the rate row with ratios and a failed repetition', '| dd write, conv=fsync | MB/s | 50 | 25 (0.5×) | 11 (0.22×) [1 failed] |'],
    ['the time row with a set-up that always failed', '| tar xf, then sync | s | 3 | 9 (3×) | failed |'],
    ['Takakrypt against each set-up', '| dd write, conv=fsync | MB/s | 0.5× | 2.27× |'],
    ['the failed set-up', 'Set-ups that could not be made: gocryptfs.'],
    ['the failure log', 'command: setup_gocryptfs'],
    ['the policy microbenchmark', 'decisions per second: 123'],
  ])('the Markdown holds %s', (_what, line) => {
    expect(md).toContain(line);
  });

  test('the chart gives speed relative to plain, times inverted, ? where missing', () => {
    expect(chart).toBe(
      'workload "plain ext4" "Takakrypt" "gocryptfs"\n' +
        '"dd-write" 1.000 0.500 0.220\n' +
        '"untar" 1.000 0.333 ?\n',
    );
  });
});

describe('bench-report refuses bad input', () => {
  test.each([
    ['a short line', '1\tplain\tdd-write\tMB/s\n', 'rows.tsv line 1: expected 5 tab-separated fields, got 4'],
    ['a value that is not a number', '1\tplain\tdd-write\tMB/s\tfast\n', 'rows.tsv line 1: expected a number or "failed", got "fast"'],
    ['no figures', '\n', 'expected figures in'],
  ])('%s', (_what, rows, message) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
    fs.writeFileSync(path.join(dir, 'rows.tsv'), rows);
    let stderr = '';
    try {
      execFileSync('node', [SCRIPT, dir], { stdio: 'pipe' });
    } catch (err) {
      stderr = String((err as { stderr: Buffer }).stderr);
    }
    fs.rmSync(dir, { recursive: true });
    expect(stderr).toContain(`bench-report: ${message}`);
  });
});
