// The steps of a build as a person follows them (detect → build stage → runtime stage), found in podman's
// output (`[1/2] STEP 1/4: FROM golang AS build`), with their durations and the last lines of each. Pure: the
// clock is passed in.

/** What the tracker reports: a step began or ended (with its duration), or one of podman's steps ended. */
export type StepEvent =
  | { kind: 'step.started'; step: string }
  | { kind: 'step.finished'; step: string; ms: number }
  | { kind: 'instruction.finished'; step: string; instruction: string; ms: number };

/** Where a failed build was: the step, podman's instruction in it, how long it ran, its last lines. */
export interface StepFailure {
  step: string;
  instruction?: string;
  ms: number;
  lastLines: string[];
}

/** `[1/2] STEP 3/5: RUN go build` or `STEP 3/5: RUN go build` (one stage). */
const STEP_LINE = /^(?:\[(\d+)\/(\d+)\] )?STEP (\d+)\/(\d+): (.*)$/;
/** Lines kept per step for a failure's report. */
export const LAST_LINES = 20;
/** podman's instructions shorter than this are not reported on their own. */
const INSTRUCTION_REPORT_MS = 1000;

/** The step a podman STEP line belongs to: one stage is `build`; of several, the last is `runtime stage`. */
export function stageStep(stage: number | undefined, stages: number | undefined, from: string): string {
  if (stage === undefined || stages === undefined || stages <= 1) return 'build';
  if (stage === stages) return 'runtime stage';
  const name = /\s+AS\s+(\S+)\s*$/i.exec(from)?.[1];
  return `build stage${stages > 2 || name ? ` ${name ?? stage}` : ''}`;
}

export class BuildSteps {
  private current?: { step: string; at: number };
  private instruction?: { text: string; at: number };
  private lines: string[] = [];

  constructor(private readonly now: () => number) {}

  /** The step under way, if any. */
  get step(): string | undefined {
    return this.current?.step;
  }

  /** Ends the step under way and starts `step`. */
  begin(step: string): StepEvent[] {
    const out = this.end();
    this.current = { step, at: this.now() };
    this.lines = [];
    out.push({ kind: 'step.started', step });
    return out;
  }

  /** One line of podman's output: a STEP line may start an instruction, and a stage a new step. */
  line(text: string): StepEvent[] {
    const m = STEP_LINE.exec(text);
    let out: StepEvent[] = [];
    if (m) {
      const stage = m[1] === undefined ? undefined : Number(m[1]);
      const stages = m[2] === undefined ? undefined : Number(m[2]);
      const step = m[3] === '1' ? stageStep(stage, stages, m[5]!) : undefined;
      if (step !== undefined && step !== this.current?.step) out = this.begin(step);
      else out = this.endInstruction();
      this.instruction = { text: m[5]!, at: this.now() };
    }
    this.lines.push(text);
    if (this.lines.length > LAST_LINES) this.lines.shift();
    return out;
  }

  /** Ends the step under way (the build went on, or succeeded). */
  end(): StepEvent[] {
    const out = this.endInstruction();
    if (this.current) {
      out.push({ kind: 'step.finished', step: this.current.step, ms: this.now() - this.current.at });
      this.current = undefined;
    }
    return out;
  }

  /** Where the build is now, for a failure's report; the step stays as it was. */
  failure(): StepFailure {
    return {
      step: this.current?.step ?? 'build',
      ...(this.instruction && { instruction: this.instruction.text }),
      ms: this.current ? this.now() - this.current.at : 0,
      lastLines: [...this.lines],
    };
  }

  private endInstruction(): StepEvent[] {
    const i = this.instruction;
    this.instruction = undefined;
    if (!i || !this.current) return [];
    const ms = this.now() - i.at;
    return ms < INSTRUCTION_REPORT_MS
      ? []
      : [{ kind: 'instruction.finished', step: this.current.step, instruction: i.text, ms }];
  }
}

/** `0.4s`, `12.3s`, `2m05s`. */
export function formatStepMs(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** A time limit as people write it: `30m`, `1h`, `90s`. */
export function formatLimit(ms: number): string {
  if (ms % 60_000 !== 0) return `${Math.round(ms / 1000)}s`;
  const m = ms / 60_000;
  return m >= 60 && m % 60 === 0 ? `${m / 60}h` : `${m}m`;
}
