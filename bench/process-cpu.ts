// CPU time of a process and its children (a cluster's primary and its server processes), read
// from /proc: each process's stat counts every one of its threads (the worker threads too).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks a second, the unit of /proc/<pid>/stat's times (100 on Linux, almost always). */
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** `ppid`, `utime + stime` (ticks) of a process, or undefined if it is gone (or this is not Linux). */
function stat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces: state, ppid, ...
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/**
 * CPU time, ms, that the process `pid` and its live children have used so far. NaN where /proc
 * cannot tell (not Linux). A child that died meanwhile takes its time with it: compare two
 * readings only over a time no process of the tree ended.
 */
export function treeCpuMs(pid: number): number {
  const own = stat(pid);
  if (!own) return Number.NaN;
  let ticks = own.ticks;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = stat(Number(entry));
    if (child?.ppid === pid) ticks += child.ticks;
  }
  return (ticks * 1000) / TICKS;
}
