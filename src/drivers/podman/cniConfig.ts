// Internal (link) networks carry no port mappings: their CNI config loses the `portmap` plugin (docs/design.md).
import { readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where Podman's CNI backend keeps a network's config: the user's own directory (rootless) before the box's (root).
 * Netavark keeps its networks elsewhere, in another format: then no file is found and nothing is changed.
 */
export function cniConfigDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return [join(config, 'cni', 'net.d'), '/etc/cni/net.d'];
}

/** The conflist without its portmap plugin; undefined when it has none (or is not a conflist). */
export function withoutPortMappings(text: string): string | undefined {
  let conf: { plugins?: { type?: string }[] };
  try {
    conf = JSON.parse(text) as typeof conf;
  } catch {
    return undefined;
  }
  if (!Array.isArray(conf.plugins) || !conf.plugins.some((p) => p?.type === 'portmap')) return undefined;
  return `${JSON.stringify({ ...conf, plugins: conf.plugins.filter((p) => p?.type !== 'portmap') }, null, 3)}\n`;
}

/**
 * Takes the portmap plugin out of network NAME's CNI config, so a container's published ports are forwarded on its
 * own network only. Podman hands a container's port mappings to every network it joins and sets them up in an
 * order that varies under load; a DNAT to an internal network's address (no route from the host) that comes
 * first sends the host's connections out of the box. Idempotent; 'absent' when no CNI config of NAME is found.
 */
export async function dropPortMappings(
  name: string,
  dirs: string[] = cniConfigDirs(),
): Promise<'dropped' | 'none' | 'absent'> {
  for (const dir of dirs) {
    const file = join(dir, `${name}.conflist`);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES') return undefined;
      throw err;
    });
    if (text === undefined) continue;
    const changed = withoutPortMappings(text);
    if (changed === undefined) return 'none';
    // Podman reads the file on every command: replace it whole, never leave it half written.
    const temporary = `${file}.hiy-${process.pid}-${Date.now()}`;
    await writeFile(temporary, changed, { mode: 0o644 });
    await rename(temporary, file);
    return 'dropped';
  }
  return 'absent';
}
