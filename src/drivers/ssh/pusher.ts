// Is the person who pushes still connected? A push runs sshd → hiy git-shell → git receive-pack → hook; when
// the ssh connection closes (Ctrl-C, a dropped network), sshd's session process ends but the processes under
// it do not: the hook finds its sshd ancestor at start and watches it, and its own parent (receive-pack).
import { readFileSync } from 'node:fs';

/** A process as /proc shows it: pid, parent, name and start time (clock ticks after boot). */
export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  start: string;
}

/** Parses /proc/PID/stat (comm may hold spaces and parentheses). Pure. */
export function parseProcStat(pid: number, text: string): ProcInfo | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  const start = fields[19];
  if (!Number.isInteger(ppid) || start === undefined) return undefined;
  return { pid, ppid, comm: text.slice(open + 1, close), start };
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    return parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The nearest ancestor of `pid` whose name starts with `sshd` (`sshd`, `sshd-session`), if any. */
export function sshdAncestor(pid: number = process.pid): ProcInfo | undefined {
  let info = readProc(pid);
  for (let hops = 0; info && info.ppid > 1 && hops < 32; hops++) {
    info = readProc(info.ppid);
    if (info && /^sshd/.test(info.comm)) return info;
  }
  return undefined;
}

/** True while the process `p` names still runs (same pid, same start time). */
export function stillRunning(p: Pick<ProcInfo, 'pid' | 'start'>): boolean {
  const now = readProc(p.pid);
  return now !== undefined && now.start === p.start;
}

/**
 * A check of whether the pusher is gone, for the hook: its sshd session ended, its parent (receive-pack)
 * ended, or writing to it failed (`broken`). Without an sshd ancestor (a local push), only the last two count.
 */
export function pusherWatch(opts: { parent: number; broken: () => boolean }): () => boolean {
  const sshd = sshdAncestor();
  const parent = readProc(opts.parent);
  return () =>
    opts.broken() ||
    (sshd !== undefined && !stillRunning(sshd)) ||
    (parent !== undefined && !stillRunning(parent));
}
