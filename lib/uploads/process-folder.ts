/**
 * Each server (each `createPagewire`) keeps its temporary uploads in a folder of its own under
 * `<dataDir>/.uploads`, named for the machine, the process and the server:
 * `<host>-<pid>-<process token>-<server token>`. A process killed (SIGKILL, a crash, the machine's
 * power) cannot remove its folder; the next server started on the same machine does, once it
 * knows that the process which made it is gone.
 *
 * The rule, safe when several processes (`--processes N`) or several machines share one dataDir:
 * a folder is removed only by a process of the same host, and only when its process is gone:
 * - its pid answers no signal (`process.kill(pid, 0)` fails with ESRCH), or
 * - its pid is this process's but its process token is not: the process that made it is gone,
 *   and this one has its pid since (a container restarted, its process pid 1 again). The token is
 *   the process's start time (Linux's /proc/self/stat), the same in every thread of the process:
 *   a server in a worker thread, or a test runner's thread, is never taken for another process.
 *   Where that time cannot be read, a folder with this pid is never judged gone.
 * A live process is never judged gone (a pid that another process reused keeps the folder: the
 * safe side). Another host's folders are never touched: no pid of theirs can be checked here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Logger } from '../logger.js';

const FOLDER = /^(.+)-(\d+)-([0-9a-f]{8})-([0-9a-f]{8})$/;

/**
 * When this process started, in clock ticks since the machine booted (field 22 of
 * /proc/self/stat): one value for all its threads, another for the next process with its pid.
 * `undefined` where there is no /proc (macOS, Windows).
 */
function processStart(): string | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // The command's name (field 2) may hold spaces and parentheses: count from its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const START = processStart();

/**
 * The process's token in its folders' names: from its start time, the same in all its threads (and
 * in the CommonJS and ES module builds loaded side by side); random where the start is unknown.
 */
const PROCESS_TOKEN =
  START === undefined
    ? randomBytes(4).toString('hex')
    : createHash('sha256').update(`${process.pid} ${START}`).digest('hex').slice(0, 8);

/** The host's name as a folder's name may hold it (letters, digits, `.`, `_`; `-` separates). */
function hostPart(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9._]/g, '_')
      .slice(0, 64) || 'host'
  );
}

/** Whether a process by that pid runs on this machine (EPERM: it does, another user's). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the folder named `name` in `.uploads` belongs to a process of this host that is gone. */
export function goneProcessFolder(name: string): boolean {
  const match = FOLDER.exec(name);
  if (!match || match[1] !== hostPart()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return START !== undefined && match[3] !== PROCESS_TOKEN;
  return !processRuns(pid);
}

export interface ProcessFolder {
  /** This server's folder: `page-<id>/` and `request-<random>/` are made in it. */
  readonly path: string;
  /** Removes it, and whatever a script did not move out (the server closes). */
  remove(): Promise<void>;
}

/**
 * This server's folder, after removing those of this host's processes that are gone. Synchronous,
 * at start: the folders are gone before the server takes its first request.
 */
export function openProcessFolder(root: string, logger: Logger): ProcessFolder {
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn(`${root} not read: ${(error as Error).message}`);
  }
  for (const name of names.filter(goneProcessFolder)) {
    try {
      rmSync(path.join(root, name), { recursive: true, force: true, maxRetries: 3 });
      logger.info(`removed the temporary uploads of a process that is gone: ${path.join(root, name)}`);
    } catch (error) {
      logger.warn(`temporary uploads of a process that is gone not removed: ${(error as Error).message}`);
    }
  }
  const own = path.join(root, `${hostPart()}-${process.pid}-${PROCESS_TOKEN}-${randomBytes(4).toString('hex')}`);
  return {
    path: own,
    remove: () =>
      rm(own, { recursive: true, force: true, maxRetries: 3 }).catch((error: Error) =>
        logger.warn(`temporary uploads not removed: ${error.message}`),
      ),
  };
}
