// What the kernel says about a process: CPU seconds, memory, open files and inotify watches,
// read from /proc so the figures do not depend on the load other processes put on the machine.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const clockTicks = 100; // USER_HZ on Linux

/** User + system CPU seconds the process has used. */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

function statusKiB(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
}

export function procPeakRssMiB(pid: number): number {
  return statusKiB(pid, 'VmHWM') / 1024;
}

export function procRssMiB(pid: number): number {
  return statusKiB(pid, 'VmRSS') / 1024;
}

/** Open file descriptors. */
export function procFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** inotify watches held, over all of the process's inotify instances. */
export function procInotifyWatches(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (!target.includes('inotify')) continue;
    try {
      n += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
