import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FAILURE_REPORT_MS } from './fixtures.js';
import { freePort } from './free-port.js';

/** Debian's Redis (`apt-get install redis-server`; `.ci/run` installs it). REDIS_SERVER_PATH names another. */
const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

/** A Redis server of the test's own: 127.0.0.1, a free port, a temporary folder, nothing saved. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Stops it (SIGTERM, or SIGKILL: a crash), and waits until it is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** SIGSTOP, then SIGCONT: a Redis that hangs, its connections open, and that comes back. */
  pause(): void;
  resume(): void;
  /** Starts it again on the same port, empty (as a Redis restarted without persistence). */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  remove(): Promise<void>;
}

/** `settings`: more of redis-server's own (`['--requirepass', 'pw']`). */
export async function startRedis(settings: string[] = []): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pagewire-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  const run = async () => {
    child = await runRedis(dir, port, settings);
  };
  // A port free when asked may be taken before Redis binds it: try another then.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await run();
      break;
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 5) throw error;
    }
  }
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    start: run,
    remove: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

class PortTaken extends Error {}

/** Resolves with the server once it says it accepts connections. */
function runRedis(dir: string, port: number, settings: string[]): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  args.push(...settings);
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start:\n${output}`)), FAILURE_REPORT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const read = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.removeListener('data', read);
        // Read on, unseen: a full pipe would stop Redis.
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
    child.once('error', (error) =>
      fail(new Error(`cannot run ${REDIS_SERVER} (apt-get install redis-server): ${error.message}`)),
    );
    child.once('exit', () => {
      if (/Address already in use/.test(output)) fail(new PortTaken(output));
      else fail(new Error(`redis-server exited:\n${output}`));
    });
  });
}
