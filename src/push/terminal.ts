// What a pusher's terminal shows (git prints it as `remote: …`): stage headers, indented detail, failures.
import type { ApplyEvent } from '../apply/events.js';

/** Output for the pusher's terminal: stage headers, indented detail, and failures that stand out. */
export class Terminal {
  /** When something was last written (a silent build gets a line now and then). */
  lastWrite = Date.now();
  constructor(private readonly write: (t: string) => void) {}
  private out(text: string): void {
    this.lastWrite = Date.now();
    this.write(text);
  }
  stage(text: string): void {
    this.out(`-----> ${text}\n`);
  }
  line(text: string): void {
    this.out(`       ${text}\n`);
  }
  fail(text: string): void {
    for (const l of text.split('\n')) this.out(` !     ${l}\n`);
  }
  /** Apply progress, one line per event. */
  progress(e: ApplyEvent): void {
    switch (e.type) {
      case 'action.started':
        this.line(`${e.action.address}: ${e.action.change === 'delete' ? 'destroying' : 'applying'}…`);
        break;
      case 'action.progress':
        this.line(`${e.action.address}: ${e.message}`);
        break;
      case 'action.output':
        this.line(`│ ${e.line}`);
        break;
      case 'build.step':
        if (e.level === 'stage') this.stage(e.text);
        else if (e.level === 'fail') this.fail(e.text);
        else this.line(e.text);
        break;
      case 'action.finished':
        this.line(`${e.action.address}: done in ${(e.ms / 1000).toFixed(1)}s${e.note ? ` (${e.note})` : ''}`);
        break;
      case 'action.failed':
        this.fail(`${e.action.address}: FAILED after ${(e.ms / 1000).toFixed(1)}s: ${e.error}`);
        break;
      case 'caddy.loaded':
        this.line(`caddy: ${e.routes} route(s) loaded in one change`);
        break;
      default:
        break;
    }
  }
}
