#!/usr/bin/env node
// Turns the figures of `make bench` (DIR/rows.tsv and the guest's notes)
// into DIR/results.json, DIR/results.md and DIR/chart.dat for gnuplot:
// medians per set-up and workload, each median's ratio to plain ext4 and
// to every other set-up. usage: node scripts/bench-report.js DIR
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// Display order and names; a set-up or workload not listed goes last.
const SETUPS = [
  ['plain', 'plain ext4'],
  ['takakrypt', 'Takakrypt'],
  ['ecryptfs', 'eCryptfs'],
  ['gocryptfs', 'gocryptfs'],
  ['fscrypt', 'fscrypt'],
];
const WORKLOADS = [
  ['dd-write', 'dd write, conv=fsync'],
  ['dd-read-cold', 'dd read after drop_caches'],
  ['dd-read-cached', 'dd read again, cached'],
  ['fio-randread', 'fio 4 KiB randread, buffered'],
  ['fio-randwrite', 'fio 4 KiB randwrite, buffered, end fsync'],
  ['untar', 'tar xf, then sync'],
  ['ls-lR', 'ls -lR after drop_caches'],
  ['md5sum', 'md5sum -c of every file, cold'],
  ['rm-rf', 'rm -rf, then sync'],
  ['sysbench', 'sysbench oltp_read_write (MariaDB)'],
];

// Median of numbers; undefined for none.
function median(values) {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// Seconds are better lower; rates (MB/s, IOPS, tps) higher.
function better(unit) {
  return unit === 's' ? 'lower' : 'higher';
}

function round(x, digits) {
  return x === undefined ? null : Number(x.toPrecision(digits));
}

// Parses rows.tsv: "REP SETUP WORKLOAD UNIT VALUE", VALUE a number or "failed".
function parseRows(text) {
  const rows = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const f = line.split('\t');
    if (f.length !== 5) throw new Error(`rows.tsv line ${i + 1}: expected 5 tab-separated fields, got ${f.length}`);
    const value = f[4] === 'failed' ? null : Number(f[4]);
    if (value !== null && !Number.isFinite(value)) {
      throw new Error(`rows.tsv line ${i + 1}: expected a number or "failed", got "${f[4]}"`);
    }
    rows.push({ rep: Number(f[0]), setup: f[1], workload: f[2], unit: f[3], value });
  });
  return rows;
}

function ordered(ids, known) {
  const rank = (id) => {
    const i = known.findIndex(([k]) => k === id);
    return i < 0 ? known.length : i;
  };
  return [...ids].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function labelOf(known, id) {
  const hit = known.find(([k]) => k === id);
  return hit ? hit[1] : id;
}

// Medians and ratios per workload and set-up.
function summarise(rows) {
  const setups = ordered(new Set(rows.map((r) => r.setup)), SETUPS);
  const workloads = ordered(new Set(rows.map((r) => r.workload)), WORKLOADS).map((id) => {
    const unit = rows.find((r) => r.workload === id).unit;
    const results = {};
    for (const s of setups) {
      const mine = rows.filter((r) => r.workload === id && r.setup === s);
      const values = mine.filter((r) => r.value !== null).map((r) => r.value);
      results[s] = { values, failed: mine.length - values.length, median: median(values) };
    }
    for (const s of setups) {
      const ratios = {};
      for (const o of setups) {
        if (o === s) continue;
        const a = results[s].median;
        const b = results[o].median;
        ratios[o] = a !== undefined && b ? round(a / b, 3) : null;
      }
      results[s].ratios = ratios;
      results[s].ratio_to_plain = ratios.plain === undefined ? null : ratios.plain;
      results[s].median = round(results[s].median, 4);
    }
    return { id, label: labelOf(WORKLOADS, id), unit, better: better(unit), results };
  });
  return { setups, workloads };
}

function cell(r, withRatio) {
  if (r.median === null) return 'failed';
  let text = String(r.median);
  if (withRatio && r.ratio_to_plain !== null) text += ` (${r.ratio_to_plain}×)`;
  if (r.failed > 0) text += ` [${r.failed} failed]`;
  return text;
}

function markdown(doc) {
  const { setups, workloads } = doc;
  const out = [];
  out.push('# Benchmark: plain ext4, Takakrypt and its peers', '');
  out.push(`Measured ${doc.date} in one QEMU TCG guest (no KVM), 2 vCPUs, 2048 MB, ` +
    `kernel ${doc.kernel}${doc.cpu ? `, ${doc.cpu}` : ''}; all set-ups on one ext4 filesystem ` +
    `(\`-O encrypt\`) on a virtio disk with cache=unsafe. Medians of ${doc.repetitions} ` +
    `interleaved repetition(s); guest arguments: \`${doc.args || 'defaults'}\`.`, '');
  if (doc.guest_avx2 === 'keep') {
    out.push('The guest\'s programs used their AVX2 routines (`--guest-avx2`): under this emulator ' +
      'that slowed the AES-NI work done in user space (Takakrypt\'s agent, gocryptfs) ' +
      '(see docs/BENCHMARKS.md).', '');
  } else if (doc.guest_avx2 === 'avoid') {
    out.push('The guest\'s programs, of every set-up alike, were told not to use AVX2 routines ' +
      '(glibc and Go tunables), which under this emulator slow the AES-NI work done in user space ' +
      '(Takakrypt\'s agent, gocryptfs); see docs/BENCHMARKS.md.', '');
  }
  out.push('Ratio = set-up ÷ plain ext4. For MB/s, IOPS and tps higher is better (a ratio above 1 is ' +
    'faster than plain); for s lower is better (a ratio above 1 is slower). Emulated AES is about ' +
    '100× slower than on the host: compare ratios within this run only, never absolute figures ' +
    'across runs or with real hardware.', '');
  out.push(`| workload | unit | ${setups.map((s) => labelOf(SETUPS, s)).join(' | ')} |`);
  out.push(`|---|---|${setups.map(() => '---:').join('|')}|`);
  for (const w of workloads) {
    const cells = setups.map((s) => cell(w.results[s], s !== 'plain'));
    out.push(`| ${w.label} | ${w.unit} | ${cells.join(' | ')} |`);
  }
  if (setups.includes('takakrypt')) {
    const others = setups.filter((s) => s !== 'takakrypt');
    out.push('', '## Takakrypt against each set-up', '');
    out.push('Takakrypt\'s median ÷ the other\'s (same reading as above).', '');
    out.push(`| workload | unit | ${others.map((s) => `÷ ${labelOf(SETUPS, s)}`).join(' | ')} |`);
    out.push(`|---|---|${others.map(() => '---:').join('|')}|`);
    for (const w of workloads) {
      const r = w.results.takakrypt.ratios;
      out.push(`| ${w.label} | ${w.unit} | ${others.map((s) => (r[s] === null ? '–' : `${r[s]}×`)).join(' | ')} |`);
    }
  }
  const failedSetups = doc.setup_status.filter((s) => s.status !== 'ready');
  if (failedSetups.length > 0 || doc.failures.trim() !== '') {
    out.push('', '## What failed', '');
    if (failedSetups.length > 0) {
      out.push(`Set-ups that could not be made: ${failedSetups.map((s) => s.id).join(', ')}.`, '');
    }
    out.push('```', doc.failures.trim().split('\n').slice(0, 200).join('\n'), '```');
  }
  for (const [name, text] of Object.entries(doc.micro)) {
    out.push('', `## Host microbenchmark: npm run bench:${name}`, '', '```', text.trim(), '```');
  }
  return out.join('\n') + '\n';
}

// Speed relative to plain ext4 (above 1 is faster, whatever the unit), for the chart.
function chartData(doc) {
  const lines = [`workload ${doc.setups.map((s) => `"${labelOf(SETUPS, s)}"`).join(' ')}`];
  for (const w of doc.workloads) {
    const plain = w.results.plain ? w.results.plain.median : null;
    const speeds = doc.setups.map((s) => {
      const m = w.results[s].median;
      if (m === null || !plain) return '?';
      return (w.better === 'lower' ? plain / m : m / plain).toFixed(3);
    });
    lines.push(`"${w.id}" ${speeds.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

function readOr(file, fallback) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function main(dir) {
  const rows = parseRows(readOr(path.join(dir, 'rows.tsv'), ''));
  if (rows.length === 0) throw new Error(`expected figures in ${dir}/rows.tsv, got none`);
  const meta = Object.fromEntries(readOr(path.join(dir, 'meta.txt'), '').split('\n')
    .filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const [kernel = 'unknown', cpuLine = ''] = readOr(path.join(dir, 'kernel.txt'), '').split('\n');
  const micro = {};
  for (const name of ['policy', 'crypto']) {
    const text = readOr(path.join(dir, `${name}.txt`), null);
    if (text !== null) micro[name] = text;
  }
  const doc = {
    date: meta.date || 'unknown date',
    kernel,
    cpu: cpuLine.replace(/^model name\s*:\s*/, ''),
    args: meta.args || '',
    guest_avx2: meta.guest_avx2 || null,
    repetitions: Math.max(...rows.map((r) => r.rep)),
    guest_run: meta.run || null,
    setup_status: readOr(path.join(dir, 'setups.txt'), '').split('\n').filter(Boolean)
      .map((l) => ({ id: l.split('\t')[0], status: l.split('\t')[1] })),
    ...summarise(rows),
    failures: readOr(path.join(dir, 'failures.txt'), ''),
    micro,
  };
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(doc, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'results.md'), markdown(doc));
  fs.writeFileSync(path.join(dir, 'chart.dat'), chartData(doc));
}

if (require.main === module) {
  if (process.argv.length !== 3) {
    process.stderr.write('usage: node scripts/bench-report.js DIR\n');
    process.exit(2);
  }
  try {
    main(process.argv[2]);
  } catch (err) {
    process.stderr.write(`bench-report: ${err.message}\n`);
    process.exit(1);
  }
}
