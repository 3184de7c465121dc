// The processes under a podman process, from /proc: stopping a build means killing the step it runs. Podman
// itself ignores a SIGTERM's effect on its RUN step (the step runs in its own session and outlives podman);
// killing the step makes podman fail the build and remove its working container.
import { readdirSync, readFileSync } from 'node:fs';

/** The parent of every process /proc shows (pid → ppid). */
export function readProcessParents(): Map<number, number> {
  const parents = new Map<number, number>();
  let names: string[] = [];
  try {
    names = readdirSync('/proc');
  } catch {
    return parents;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 2 (comm) may hold spaces and parentheses: the fields after the last ')' are state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number.isInteger(ppid)) parents.set(Number(name), ppid);
    } catch {
      // Ended while listing.
    }
  }
  return parents;
}

/** Every descendant of `root` (children first, then theirs), not `root` itself. Pure. */
export function descendantsOf(root: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  const seen = new Set<number>([root]);
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Sends SIGKILL to every descendant of `root`; returns how many were signalled. */
export function killDescendants(root: number): number {
  let n = 0;
  for (const pid of descendantsOf(root, readProcessParents())) {
    try {
      process.kill(pid, 'SIGKILL');
      n++;
    } catch {
      // Gone already, or not ours.
    }
  }
  return n;
}
