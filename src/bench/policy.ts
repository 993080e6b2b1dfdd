// `npm run bench:policy`: decisions per second and per-decision latency of
// the policy engine on a large policy (see policy-fixture.ts). Prints
// numbers only; nothing here asserts on time.
import { compilePolicy } from '../policy/compile';
import { decide } from '../policy/decide';
import { StaticResolver } from '../policy/resolver';
import { benchConfig, benchRequests, benchUsers } from './policy-fixture';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function main(): void {
  const rules = option('rules', 200);
  const entries = option('entries', 10_000);
  const count = option('decisions', 200_000);

  const config = benchConfig(rules, entries);
  let start = process.hrtime.bigint();
  const compileCpu = process.cpuUsage();
  const compiled = compilePolicy(config, new StaticResolver(benchUsers(entries), []));
  const compileMs = Number(process.hrtime.bigint() - start) / 1e6;
  const compileUsage = process.cpuUsage(compileCpu);
  const compileCpuMs = (compileUsage.user + compileUsage.system) / 1e3;
  const requests = benchRequests(10_000);
  const last = decide(compiled, requests[0]);
  if (last.ruleIndex !== rules - 1 || !last.permit) throw new Error(`expected rule ${rules - 1} to decide, got ${last.ruleIndex}`);

  for (let i = 0; i < 50_000; i += 1) decide(compiled, requests[i % requests.length]);

  start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let permits = 0;
  for (let i = 0; i < count; i += 1) if (decide(compiled, requests[i % requests.length]).permit) permits += 1;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;

  const latencies = new Float64Array(count);
  for (let i = 0; i < count; i += 1) {
    const t0 = process.hrtime.bigint();
    decide(compiled, requests[i % requests.length]);
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1e3;
  }
  latencies.sort();
  const memory = process.memoryUsage().heapUsed / 2 ** 20;
  process.stdout.write([
    `policy: ${rules} security rules; ${rules} user, process and resource sets of ${entries} entries each; deciding rule ${rules - 1}`,
    `compile: ${compileMs.toFixed(0)} ms wall, ${compileCpuMs.toFixed(0)} ms CPU; heap ${memory.toFixed(0)} MiB (configuration included)`,
    `decisions: ${count} (${permits} permits) in ${seconds.toFixed(3)} s wall = ${Math.round(count / seconds)} decisions/s; ` +
      `${cpuSeconds.toFixed(3)} s CPU = ${Math.round(count / cpuSeconds)} decisions per CPU-second`,
    `latency: p50 ${percentile(latencies, 0.5).toFixed(2)} µs, p99 ${percentile(latencies, 0.99).toFixed(2)} µs, max ${latencies[count - 1].toFixed(2)} µs`,
  ].join('\n') + '\n');
}

main();
