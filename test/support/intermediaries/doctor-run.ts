/**
 * Runs `sluice doctor` in-process as the CLI would (same Command, captured stdout/stderr) and
 * keeps the raw timeline it measured. With SLUICE_RECORD_DOCTOR_FIXTURES=1 in the environment the
 * timeline is also saved as test/fixtures/doctor/<name>.json, which is how the recorded fixtures
 * the classification tests replay were made.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { doctorCommand } from '../../../src/cli/doctor.ts';
import {
  capture,
  type DoctorJson,
  type ProbeShape,
  type Timeline,
} from '../../../src/doctor/index.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/doctor/', import.meta.url));

export interface DoctorRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Parsed stdout when --json was given. */
  readonly json: DoctorJson | undefined;
  /** What the (last) capture recorded. */
  readonly timelines: readonly Timeline[];
}

export async function runDoctor(
  args: readonly string[],
  record?: string,
  env: Readonly<Record<string, string>> = {},
): Promise<DoctorRun> {
  let stdout = '';
  let stderr = '';
  const timelines: Timeline[] = [];
  const command = doctorCommand({
    capture: async (request) => {
      const timeline = await capture(request);
      timelines.push(timeline);
      return timeline;
    },
  });
  const code = await command.run(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  const last = timelines.at(-1);
  if (
    record !== undefined &&
    last !== undefined &&
    process.env['SLUICE_RECORD_DOCTOR_FIXTURES'] === '1'
  ) {
    writeFileSync(`${FIXTURES}${record}.json`, `${JSON.stringify(last, null, 2)}\n`);
  }
  const json =
    args.includes('--json') && stdout !== '' ? (JSON.parse(stdout) as DoctorJson) : undefined;
  return { code, stdout, stderr, json, timelines };
}

/** `--events N --interval-ms M --pad P --silence-ms S` for a probe shape. */
export function probeArgs(probe: ProbeShape): string[] {
  return [
    '--events',
    String(probe.events),
    '--interval-ms',
    String(probe.intervalMs),
    '--pad',
    String(probe.pad),
    '--silence-ms',
    String(probe.silenceMs),
  ];
}

/**
 * A fix applied to a list of config directives, as a user would paste it: each snippet line that
 * names a directive replaces the lines naming the same one (nginx and Apache reject or ignore
 * duplicates), the rest is appended.
 */
export function applyFix(directives: readonly string[], snippet: string): string[] {
  const added = snippet.split('\n').filter((line) => line.trim() !== '');
  const name = (line: string): string => line.trim().split(/\s+/, 1)[0] ?? '';
  const replaced = new Set(added.map(name));
  return [...directives.filter((line) => !replaced.has(name(line))), ...added];
}
