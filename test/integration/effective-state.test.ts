// Every view sees the same effective state, on the real postgres port image: the preview of `hiy config set`
// equals `hiy plan` of the commit it makes; volume ls, secret list and exec --user see the port as it runs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { git, type Harness, startHarness } from '../support/hiy.js';
import { BUSYBOX_IMAGE } from '../support/podman.js';

const POSTGRES_IMAGE = 'localhost/hiy-ports/postgres:15.0.0';

/** The postgres port as a person writes it: no volumes, no password; the declaration gives them. */
const dbYaml = `apiVersion: hiy/v1
kind: Port
metadata:
  name: db
spec:
  image: ${POSTGRES_IMAGE}
  stopGracePeriod: 5s
`;

/** A linked workload: it gets DATABASE_URL (a link secret) from the declaration's provides. */
const appYaml = `apiVersion: hiy/v1
kind: Port
metadata:
  name: app
spec:
  image: ${BUSYBOX_IMAGE}
  command: ["/bin/sh", "-c", "mkdir -p /w && echo ok > /w/index.html && exec httpd -f -p 8080 -h /w"]
  links: [port/db]
  env:
    GREETING: hello
  stopGracePeriod: 1s
`;

interface PlanJson {
  commit: string;
  actions: { address: string; change: string; resource: string }[];
}
const changes = (p: PlanJson) => p.actions.map((a) => `${a.change} ${a.address}`).sort();

describe('the effective state in every view, on the postgres port', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ 'ports/db.yaml': dbYaml, 'ports/app.yaml': appYaml });
    await git(h.stateDir, ['config', 'user.name', 'Edit Tester']);
    await git(h.stateDir, ['config', 'user.email', 'edit@example.com']);
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.err + r.out);
  });
  after(() => h.cleanup());

  it('the preview of each edit equals hiy plan of the commit it makes, and touches only the edited resource', async () => {
    const edits = [
      ['set', 'app', 'GREETING=hi'],
      ['set', 'app', 'WORKERS=2', 'LOG_LEVEL=debug'],
      ['unset', 'app', 'WORKERS'],
    ];
    for (const edit of edits) {
      const preview = await h.hiy(['config', ...edit, '--dry-run', '--json']);
      assert.equal(preview.code, 0, preview.err);
      const made = await h.hiy(['config', ...edit, '--json']);
      assert.equal(made.code, 0, made.err);
      const commit = (JSON.parse(made.out) as { commit: string }).commit;
      const plan = await h.hiy(['plan', '--json']);
      assert.equal(plan.code, 0, plan.err);
      const planned = JSON.parse(plan.out) as PlanJson;
      assert.equal(planned.commit, commit);
      const previewed = (JSON.parse(preview.out) as { plan: PlanJson }).plan;
      assert.deepEqual(changes(previewed), changes(planned), edit.join(' '));
      assert.deepEqual([...new Set(planned.actions.map((a) => a.resource))], ['port/app'], edit.join(' '));
      const applied = await h.hiy(['apply']);
      assert.equal(applied.code, 0, applied.err + applied.out);
    }
    // Saved as typed: the flow list of links is not reformatted, only the edited lines changed.
    const text = await git(h.stateDir, ['show', 'HEAD:ports/app.yaml']);
    assert.match(text, /^ {2}links: \[port\/db\]$/m);
    assert.match(text, /^ {4}GREETING: hi\n {4}LOG_LEVEL: debug$/m);
  });

  it('volume ls calls the declared volume declared, secret list names the generated password as used', async () => {
    const volumes = JSON.parse((await h.hiy(['volume', 'ls', '--json'])).out) as {
      volumes: { name: string; resource: string; declared: boolean }[];
    };
    const db = volumes.volumes.filter((v) => v.resource === 'port/db');
    assert.ok(db.length > 0, JSON.stringify(volumes));
    assert.ok(
      db.every((v) => v.declared),
      JSON.stringify(db),
    );
    const secrets = JSON.parse((await h.hiy(['secret', 'list', '--json'])).out) as {
      secrets: { name: string; usedBy: string[] }[];
    };
    const password = secrets.secrets.find((s) => s.name === 'hiy.generated.db.POSTGRES_PASSWORD');
    assert.deepEqual(password?.usedBy, ['port/db (POSTGRES_PASSWORD)']);
  });

  it('hiy exec --user postgres runs psql over the local socket as the database superuser', async () => {
    const r = await h.hiy(['exec', '--user', 'postgres', 'db', '--', 'psql', '-tAc', 'select current_user']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), 'postgres');
    const bad = await h.hiy(['exec', '--user', 'no such', 'db', '--', 'id']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /not a user name or a uid/);
  });
});
