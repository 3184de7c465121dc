// Whether an App's commit is built from a Containerfile it carries or from one HIY generates (src/push/stacks).
import path from 'node:path';
import type { GitReader } from '../drivers/git/types.js';

/** Answers per repository, commit and context: a commit never changes, so an answer holds for good. */
const answers = new Map<string, Promise<boolean | undefined>>();
const ANSWERS_MAX = 1000;

/**
 * True when the commit has neither Containerfile nor Dockerfile in the build context (HIY generates one), false
 * when it has one or the App names its own, undefined when the tree cannot be read (no default is assumed).
 */
export function isGeneratedBuild(
  git: GitReader,
  source: { gitDir: string; commit: string; context: string; dockerfile?: string },
): Promise<boolean | undefined> {
  if (source.dockerfile !== undefined) return Promise.resolve(false);
  const key = `${source.gitDir}\0${source.commit}\0${source.context}`;
  let answer = answers.get(key);
  if (!answer) {
    const dir = path.posix.normalize(source.context).replace(/^\.\/?|\/$/g, '');
    const wanted = new Set(['Containerfile', 'Dockerfile'].map((f) => (dir ? `${dir}/${f}` : f)));
    answer = git.listFiles(source.gitDir, source.commit).then(
      (files) => !files.some((f) => wanted.has(f.path)),
      () => {
        // Not kept: a commit still in a push's quarantine is readable once the push is done.
        answers.delete(key);
        return undefined;
      },
    );
    if (answers.size >= ANSWERS_MAX) answers.clear();
    answers.set(key, answer);
  }
  return answer;
}
