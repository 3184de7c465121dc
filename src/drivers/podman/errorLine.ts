// The line of podman's stderr that says what failed: rootless Podman prints `level=warning` log lines first (a CNI
// cache, a mount that is not shared), and the message must name the error, never one of those (issue 22).

/** A logrus line of podman's (`time="…" level=warning msg="…"`) below error level. */
const LOG_LINE = /^time="[^"]*" level=(warning|info|debug|trace) /;

/** The `Error:` line when there is one, else the first line that is not a warning log line, else the first line. */
export function podmanErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const line =
    lines.find((l) => /^Error:/.test(l)) ??
    lines.find((l) => !LOG_LINE.test(l) && !/level=warning/.test(l)) ??
    lines[0];
  return (line ?? '').replace(/^Error:\s*/, '').trim();
}
