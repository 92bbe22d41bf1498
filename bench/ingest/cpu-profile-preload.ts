// Preloaded into the service (NODE_OPTIONS=--import=…) by `--profile`: Node 20 does not allow
// --cpu-prof in NODE_OPTIONS and the service is spawned by test/e2e's AppProcess without flags,
// so this starts V8's sampling profiler through the inspector and writes a .cpuprofile into
// BENCH_CPU_PROF_DIR when the process exits (the service exits through process.exit on SIGTERM).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir !== undefined && dir !== '') {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // A session on the main thread answers synchronously, so this runs before the process ends.
    session.post('Profiler.stop', (error, result) => {
      if (error !== null) return;
      const file = join(dir, `service-${Date.now()}-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
