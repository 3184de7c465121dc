// The stack images the unit tests of generated Containerfiles pass (short names, to read the expected text).
import type { StackImages } from '../../../src/push/stacks/index.js';

export const IMAGES: StackImages = {
  static: 'localhost/hiy/busybox:latest',
  node: 'node-base',
  python: 'py-base',
  goBuild: 'go-build',
  ruby: 'ruby-base',
  javaBuild: 'jdk',
  java: 'jre',
  php: 'php-base',
  phpBuild: 'php-build',
};
