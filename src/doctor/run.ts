/** One doctor run: build the request, capture it, classify it. The capture is passed in for tests. */
import type { EgressConfig } from '../config/index.ts';
import { chooseEgress } from '../upstream/egress.ts';
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

/** How the doctor's own requests leave the machine; none: directly. */
const DIRECT: EgressConfig = {
  httpProxy: undefined,
  httpsProxy: undefined,
  allProxy: undefined,
  noProxy: '',
};

export function requestFor(
  target: DoctorTarget,
  timeoutMs: number,
  egress: EgressConfig = DIRECT,
): CaptureRequest {
  const request =
    target.mode === 'probe'
      ? probeRequest(target.url, target.probe, timeoutMs)
      : chatRequest(target.url, target.key, target.model, timeoutMs);
  const proxy = proxyFor(target.url, egress);
  return proxy === undefined ? request : { ...request, proxy };
}

/**
 * The HTTP proxy the doctor goes through for `url`, with the gateway's rules (NO_PROXY
 * included). A SOCKS proxy is not one the doctor can use: it goes direct (the CLI says so).
 */
function proxyFor(url: URL, egress: EgressConfig): string | undefined {
  const way = chooseEgress(url, egress);
  return way.kind === 'http' ? way.proxy : undefined;
}

export async function diagnose(
  target: DoctorTarget,
  timeoutMs: number,
  capture: CaptureFn = captureOverHttp,
  egress: EgressConfig = DIRECT,
): Promise<Diagnosis> {
  return classify(await capture(requestFor(target, timeoutMs, egress)));
}

/** Both targets, one after the other: run side by side they would disturb each other's timing. */
export async function diagnoseBoth(
  a: DoctorTarget,
  b: DoctorTarget,
  timeoutMs: number,
  capture: CaptureFn = captureOverHttp,
  egress: EgressConfig = DIRECT,
): Promise<Comparison> {
  const first = await diagnose(a, timeoutMs, capture, egress);
  const second = await diagnose(b, timeoutMs, capture, egress);
  return compareDiagnoses(first, second);
}
