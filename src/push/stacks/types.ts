// The types of stack detection: what it reads of a build context, the images it builds on, what it generates.
import { HiyError } from '../../model/errors.js';
import { GENERATED_APP_PORT } from '../../model/workload.js';

/** The stacks HIY can build without a Containerfile. */
export type Stack = 'static' | 'node' | 'python' | 'go' | 'ruby' | 'java' | 'php';

/**
 * The images generated builds start from (HIY_BUILD_IMAGE_*): a builder (compiler, package manager) and a runtime
 * image per stack where the two differ; `static` is also the runtime of Go's static binaries.
 */
export interface StackImages {
  static: string;
  node: string;
  python: string;
  goBuild: string;
  ruby: string;
  javaBuild: string;
  java: string;
  php: string;
  phpBuild: string;
}

/** The port generated images listen on (also given to the app as $PORT). */
export const STACK_PORT = GENERATED_APP_PORT;

/** The files whose text detection reads when they are at the top of the context. */
export const KNOWN_TEXTS = [
  'package.json',
  'requirements.txt',
  'pyproject.toml',
  'Procfile',
  'go.mod',
  'Gemfile',
  'Gemfile.lock',
  'composer.json',
] as const;

/** What detection looks at: the names at the top of the context and the text of a few known files. */
export interface ContextSummary {
  /**
   * File and directory names at the top of the build context (directories end with `/`), plus a few known
   * deeper paths when present: `public/index.html`, `public/index.php`, `vendor/cache/`, `.m2/repository/`.
   */
  entries: string[];
  /** Text of the known files (KNOWN_TEXTS) when present. */
  texts: Partial<Record<(typeof KNOWN_TEXTS)[number], string>>;
}

/**
 * What the build may trust and use from the box, put into the build context under `.hiy-build/` by the caller:
 * the box's CA bundle, its extra CA certificates (for Java's trust store), a Maven settings file with the proxy.
 */
export interface BuildTrust {
  /** Context-relative path of the box's CA bundle (PEM), when there is one. */
  caBundle?: string;
  /** Context-relative paths of the box's own extra CA certificates (each one PEM certificate). */
  extraCerts: string[];
  /** Context-relative path of a Maven settings.xml carrying the box's proxy, when one is set. */
  mavenSettings?: string;
}

export interface GeneratedContainerfile {
  stack: Stack;
  /** One line for the build output: why this stack, and what runs. */
  reason: string;
  text: string;
}

/** No Containerfile, and no stack recognised (or one recognised but without a way to start it). */
export class StackError extends HiyError {
  constructor(message: string) {
    super('STACK_UNKNOWN', message);
    this.name = 'StackError';
  }
}
