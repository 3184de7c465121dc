// Injected faults for the kill -9 tests: the points where a process may be made to die, armed from its environment.

/**
 * Where a run may be killed. Each step that leaves the box half-changed if interrupted names its points; the
 * journal calls `point` after each record is on disk. Outside the crash tests it is {@link noFaults}.
 */
export interface Faults {
  /** Dies here (SIGKILL, no cleanup) when this point is armed. */
  point(name: string): void;
  /** Runs `call`; when this point is armed, the whole process group dies while the call is under way. */
  during<T>(name: string, call: () => Promise<T>): Promise<T>;
}

/** No fault ever: every point passes, every call just runs. */
export const noFaults: Faults = {
  point: () => undefined,
  during: (_name, call) => call(),
};

/** How many times each point was reached in this process (the nth occurrence is the one armed). */
const reached = new Map<string, number>();

/**
 * The crash points of `HIY_TEST_CRASH_AT=kind:phase[:n]`: the process kills itself right after the nth journal
 * record of that kind and phase is on disk, or at the nth `point(kind:phase)`, or during the nth
 * `during(kind:phase)` call: that call is started, then `HIY_TEST_CRASH_DELAY_MS` later (default 150), or as
 * soon as it settles if sooner, the whole process group is SIGKILLed, so the podman process the call runs dies
 * half-way too, as when systemd kills the control group of a service. The test starts hiy as a process group
 * leader (`detached`); otherwise only hiy itself dies. Unset (always, outside those tests): {@link noFaults}.
 */
export function faultsFromEnv(env: NodeJS.ProcessEnv): Faults {
  const spec = env.HIY_TEST_CRASH_AT;
  if (!spec) return noFaults;
  const [kind, phase, nth] = spec.split(':');
  const armed = (point: string): boolean => {
    if (point !== `${kind}:${phase}`) return false;
    const seen = (reached.get(point) ?? 0) + 1;
    reached.set(point, seen);
    return seen === Number(nth ?? '1');
  };
  const delayMs = Number(env.HIY_TEST_CRASH_DELAY_MS ?? '150');
  return {
    point(name) {
      if (armed(name)) process.kill(process.pid, 'SIGKILL');
    },
    during<T>(name: string, call: () => Promise<T>): Promise<T> {
      if (!armed(name)) return call();
      const kill = () => {
        try {
          process.kill(-process.pid, 'SIGKILL');
        } catch {
          process.kill(process.pid, 'SIGKILL');
        }
      };
      const work = call();
      setTimeout(kill, delayMs);
      work.then(kill, kill);
      return new Promise<T>(() => {});
    },
  };
}
