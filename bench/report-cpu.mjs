// Preloaded into a load generator (`node --import ./report-cpu.mjs autocannon.js ...`): on exit
// it writes the CPU time the process used, so the bench can say how much of the machine's
// cores the load generator took from the server it measured.
process.once('exit', () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write(`\ncpu-ms ${Math.round((user + system) / 1000)}\n`);
});
