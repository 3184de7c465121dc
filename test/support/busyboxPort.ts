// A port image for tests: busybox running one shell script, with a contract declaration in its label.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { LABEL_INSTANCE } from '../../src/model/labels.js';
import { PORT_LABEL } from '../../src/model/portContract.js';
import { labelText } from '../../src/ports/toolkit.js';
import { BUSYBOX_IMAGE } from './podman.js';

/**
 * Builds `tag` from the busybox image: its command is `sh -c SCRIPT`, its `io.hiy.port.v1` label the
 * declaration (written as `hiy port label` writes it), and it carries the test instance's label so the
 * harness's cleanup removes it.
 */
export async function buildBusyboxPort(
  instance: string,
  tag: string,
  script: string,
  declaration: unknown,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hiy-port-'));
  try {
    await writeFile(
      join(dir, 'Containerfile'),
      `FROM ${BUSYBOX_IMAGE}\nCMD ["/bin/sh", "-c", ${JSON.stringify(script)}]\n`,
    );
    await execa('podman', [
      'build',
      '-q',
      '-t',
      tag,
      '--label',
      `${LABEL_INSTANCE}=${instance}`,
      '--label',
      `${PORT_LABEL}=${labelText(declaration)}`,
      dir,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
