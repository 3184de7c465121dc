// Waiting for SIGTERM/SIGINT in long-running commands (hiy daemon, hiy events --follow).

/** Resolves on the first SIGTERM or SIGINT; later ones are logged (the run in progress still finishes). */
export function onTermination(log?: (text: string) => void): { signal: Promise<string>; dispose(): void } {
  let first: string | undefined;
  let resolve!: (s: string) => void;
  const signal = new Promise<string>((r) => {
    resolve = r;
  });
  const handler = (name: NodeJS.Signals) => {
    if (first) {
      log?.(`hiy: ${name} again; still finishing the work in progress (SIGKILL aborts it)\n`);
      return;
    }
    first = name;
    resolve(name);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    signal,
    dispose() {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    },
  };
}
