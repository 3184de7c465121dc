// A Maven settings.xml carrying the box's proxy: Maven ignores HTTP(S)_PROXY, which every other build tool reads. Pure.

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The settings.xml for the proxies in `env` (HTTPS_PROXY, HTTP_PROXY and NO_PROXY, either case), or undefined
 * when none is set. Only host and port are written: a proxy's credentials would end up in a build layer, so a
 * proxy that needs them needs a Containerfile (docs/stacks.md).
 */
export function mavenProxySettings(env: NodeJS.ProcessEnv): string | undefined {
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
    .map((h) => (h.startsWith('.') ? `*${h}` : h))
    .join('|');
  const proxies: string[] = [];
  for (const [protocol, value] of [
    ['https', env.HTTPS_PROXY ?? env.https_proxy],
    ['http', env.HTTP_PROXY ?? env.http_proxy],
  ] as const) {
    if (!value) continue;
    let url: URL;
    try {
      url = new URL(value.includes('://') ? value : `http://${value}`);
    } catch {
      continue;
    }
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    proxies.push(`    <proxy>
      <id>hiy-${protocol}</id>
      <active>true</active>
      <protocol>${protocol}</protocol>
      <host>${xml(url.hostname)}</host>
      <port>${port}</port>${noProxy ? `\n      <nonProxyHosts>${xml(noProxy)}</nonProxyHosts>` : ''}
    </proxy>`);
  }
  if (proxies.length === 0) return undefined;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by HIY from the box's proxy settings (host and port only). -->
<settings>
  <proxies>
${proxies.join('\n')}
  </proxies>
</settings>
`;
}
