// The generated build of a Java app (pom.xml, or plain sources): a runnable jar built with the JDK, run on the JRE.
import { cmd, has, header, procfileStart, RUNTIME_USER, trustLines } from './common.js';
import { type BuildTrust, type ContextSummary, type GeneratedContainerfile, StackError } from './types.js';

/** Imports the box's own CA certificates into the JDK's trust store (Java does not read PEM bundles). */
function javaTrust(trust: BuildTrust | undefined): string {
  const lines = trust?.extraCerts.map(
    (cert, i) =>
      `COPY ${cert} /tmp/hiy-ca-${i}.crt\nRUN keytool -importcert -noprompt -cacerts -storepass changeit -alias hiy-box-${i} -file /tmp/hiy-ca-${i}.crt\n`,
  );
  return `${trustLines(trust)}${lines?.join('') ?? ''}`;
}

/** The top-level Java source files of a plain-sources app. */
export function javaSources(ctx: ContextSummary): string[] {
  return ctx.entries.filter((e) => e.endsWith('.java'));
}

/** The main class of a plain-sources app: Main, App, or the only source file. */
function mainClass(sources: string[]): string {
  const main =
    ['Main.java', 'App.java'].find((f) => sources.includes(f)) ??
    (sources.length === 1 ? sources[0] : undefined);
  if (!main) {
    throw new StackError(
      `Java sources without a main class HIY can tell: name it Main.java or App.java, add a Procfile web: line, or a pom.xml (found ${sources.join(', ')})`,
    );
  }
  return main.replace(/\.java$/, '');
}

function mavenBuild(ctx: ContextSummary, trust: BuildTrust | undefined): { steps: string; how: string } {
  // A committed local repository (.m2/repository) builds offline (-o); otherwise Maven fetches from its
  // repositories, dependencies first in a layer of their own (pom.xml copied before the source).
  const vendored = has(ctx, '.m2/repository/');
  const settings = trust?.mavenSettings ? ` -s ${trust.mavenSettings}` : '';
  const flags = `-B -q${vendored ? ' -o -Dmaven.repo.local=/src/.m2/repository' : ''}`;
  const deps = vendored
    ? 'COPY .m2 .m2\n'
    : `${trust?.mavenSettings ? `COPY ${trust.mavenSettings} ${trust.mavenSettings}\n` : ''}RUN mvn ${flags}${settings} dependency:go-offline || true\n`; // warms the cache only: package says what is missing
  return {
    how: `Maven (pom.xml${vendored ? ', offline from .m2/repository' : ''})`,
    steps: `COPY pom.xml ./
${deps}COPY . .
RUN mvn ${flags}${settings} package -DskipTests
RUN jar="$(ls target/*.jar 2>/dev/null | grep -v -e '-sources' -e '-javadoc' -e '/original-' | head -n 1)"; \\
  if [ -z "$jar" ]; then echo 'hiy: mvn package made no jar in target/' >&2; exit 1; fi; \\
  mkdir -p /out && cp "$jar" /out/app.jar
`,
  };
}

function javacBuild(sources: string[]): { steps: string; how: string } {
  const main = mainClass(sources);
  return {
    how: `javac (${main}.java)`,
    steps: `COPY . .
RUN mkdir -p /out/classes && javac -d /out/classes $(find . -name '*.java' -not -path './.hiy-build/*') \\
 && jar --create --file /out/app.jar --main-class ${main} -C /out/classes .
`,
  };
}

/**
 * Maven's pom.xml, else plain sources at the top of the context; Gradle is refused with a clear message
 * (Debian's gradle 4.4 cannot build with Java 17). The runtime stage has the JRE only.
 */
export function javaStack(
  ctx: ContextSummary,
  images: { build: string; runtime: string },
  trust?: BuildTrust,
): GeneratedContainerfile {
  if (!has(ctx, 'pom.xml') && (has(ctx, 'build.gradle') || has(ctx, 'build.gradle.kts'))) {
    throw new StackError(
      "Java app built with Gradle: generated builds use Maven (pom.xml) or javac, since Debian's gradle (4.4) cannot build with Java 17; add a pom.xml or a Containerfile",
    );
  }
  const build = has(ctx, 'pom.xml') ? mavenBuild(ctx, trust) : javacBuild(javaSources(ctx));
  const start = procfileStart(ctx) ?? { argv: ['java', '-jar', '/app/app.jar'], how: 'java -jar app.jar' };
  return {
    stack: 'java',
    reason: `Java, ${build.how}, ${start.how}`,
    text: `${header('a Java app')}FROM ${images.build} AS build
WORKDIR /src
${javaTrust(trust)}${build.steps}
FROM ${images.runtime}
WORKDIR /app
${RUNTIME_USER}${cmd(start.argv)}
COPY --from=build /out/app.jar /app/app.jar
`,
  };
}
