/** One doctor run: build the request, capture it, classify it. The capture is passed in for tests. */
import { capture as captureOverHttp, type CaptureRequest } from './capture.ts';
import { classify } from './classify.ts';
import { compareDiagnoses, type Comparison } from './compare.ts';
import type { Diagnosis } from './diagnosis.ts';
import { chatRequest, probeRequest } from './request.ts';
import type { ProbeShape, Timeline } from './timeline.ts';

export type DoctorTarget =
  | { readonly mode: 'probe'; readonly url: URL; readonly probe: ProbeShape }
  | { readonly mode: 'chat'; readonly url: URL; readonly key: string; readonly model: string };

export type CaptureFn = (request: CaptureRequest) => Promise<Timeline>;

export function requestFor(target: DoctorTarget, timeoutMs: number): CaptureRequest {
  return target.mode === 'probe'
    ? probeRequest(target.url, target.probe, timeoutMs)
    : chatRequest(target.url, target.key, target.model, timeoutMs);
}

export async function diagnose(
  target: DoctorTarget,
  timeoutMs: number,
  capture: CaptureFn = captureOverHttp,
): Promise<Diagnosis> {
  return classify(await capture(requestFor(target, timeoutMs)));
}

/** Both targets, one after the other: run side by side they would disturb each other's timing. */
export async function diagnoseBoth(
  a: DoctorTarget,
  b: DoctorTarget,
  timeoutMs: number,
  capture: CaptureFn = captureOverHttp,
): Promise<Comparison> {
  const first = await diagnose(a, timeoutMs, capture);
  const second = await diagnose(b, timeoutMs, capture);
  return compareDiagnoses(first, second);
}
