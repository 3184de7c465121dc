// What a pusher's terminal shows (git prints it as `remote: …`): the human view in git's style (stage headers,
// indented detail, failures that stand out).
import { GIT_STYLE, humanView, type OperationView, styledLine } from '../engine/views.js';

/** Output for the pusher's terminal: stage headers, indented detail, and failures that stand out. */
export class Terminal {
  /** When something was last written (a silent build gets a line now and then). */
  lastWrite = Date.now();
  /** The operation view of a push: apply progress and recovery in git's style, and the wait for the lock. */
  readonly view: OperationView;
  constructor(private readonly write: (t: string) => void) {
    this.view = {
      ...humanView((t) => this.out(t), GIT_STYLE),
      lockWait: (busy) => this.line(`waiting for another apply to finish (pid ${busy.data.pid})…`),
    };
  }
  private out(text: string): void {
    this.lastWrite = Date.now();
    this.write(text);
  }
  private say(level: 'stage' | 'line' | 'fail', text: string): void {
    const line = styledLine(GIT_STYLE, level, text);
    if (line !== undefined) this.out(line);
  }
  stage(text: string): void {
    this.say('stage', text);
  }
  line(text: string): void {
    this.say('line', text);
  }
  fail(text: string): void {
    this.say('fail', text);
  }
}
