// npm run bench [-- <name>… [options]]: runs benchmarks, each as its own Node process.
//
//   npm run bench                         every benchmark (queue-kv, ingest, fanout, then inbox)
//   npm run bench -- queue-kv             only the KV store / message queue benchmark
//   npm run bench -- ingest --quick       only ingestion, with the options after the name
//   npm run bench -- fanout               only the fan-out benchmark (issue 5)
//   npm run bench -- inbox                signed inbound replies → stored comments
//
// Arguments that are not benchmark names are passed to every benchmark that runs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['queue-kv', 'ingest', 'fanout', 'inbox'] as const;
type BenchName = (typeof BENCHES)[number];

const isBench = (arg: string): arg is BenchName => (BENCHES as readonly string[]).includes(arg);

function runOne(name: BenchName, args: readonly string[]): Promise<number> {
  const script = fileURLToPath(new URL(`./${name}.bench.js`, import.meta.url));
  console.log(`\n=== bench: ${name} ${args.join(' ')}`.trimEnd());
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', script, ...args], {
      stdio: 'inherit',
    });
    child.on('exit', (code, signal) => {
      resolve(code ?? (signal === null ? 0 : 1));
    });
  });
}

const argv = process.argv.slice(2);
const chosen = argv.filter(isBench);
const rest = argv.filter((a) => !isBench(a));
let failed = 0;
for (const name of chosen.length > 0 ? chosen : BENCHES) {
  if ((await runOne(name, rest)) !== 0) failed += 1;
}
process.exitCode = failed === 0 ? 0 : 1;
