/**
 * One doctor run: build the request, capture it, classify it; measure again when the result is
 * borderline (issue 15: a busy machine must not make a healthy hop look delayed). The capture is
 * passed in for tests.
 */
import type { EgressConfig } from '../config/index.ts';
import { chooseEgress } from '../upstream/egress.ts';
import type { ChatApi } from './apis.ts';
import { capture as captureOverHttp, type CaptureRequest } from './capture.ts';
import { chainDiagnoses, type ChainResult } from './chain.ts';
import { classify } from './classify.ts';
import { compareDiagnoses, type Comparison } from './compare.ts';
import { type Diagnosis, isBorderline } from './diagnosis.ts';
import { DOCTOR_HEADER, doctorToken } from './request-view.ts';
import { chatRequest, probeRequest } from './request.ts';
import type { ProbeShape, Timeline } from './timeline.ts';

export type DoctorTarget =
  | { readonly mode: 'probe'; readonly url: URL; readonly probe: ProbeShape }
  | {
      readonly mode: 'chat';
      readonly url: URL;
      readonly key: string;
      readonly model: string;
      /** Absent: Chat Completions. */
      readonly api?: ChatApi;
    };

export type CaptureFn = (request: CaptureRequest) => Promise<Timeline>;

/** How the doctor's own requests leave the machine; none: directly. */
const DIRECT: EgressConfig = {
  httpProxy: undefined,
  httpsProxy: undefined,
  allProxy: undefined,
  noProxy: '',
};

/** `token`: sent to the probe in DOCTOR_HEADER, which it echoes (see request-view.ts). */
export function requestFor(
  target: DoctorTarget,
  timeoutMs: number,
  egress: EgressConfig = DIRECT,
  token?: string,
): CaptureRequest {
  const base =
    target.mode === 'probe'
      ? probeRequest(target.url, target.probe, timeoutMs)
      : chatRequest(target.url, target.key, target.model, timeoutMs, target.api);
  // To a Sluice gateway (`--key`) the token asks for what it saw of its upstream's answer.
  const request =
    token === undefined ? base : { ...base, headers: { ...base.headers, [DOCTOR_HEADER]: token } };
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

/**
 * One target. A result whose every problem is borderline (holds just past what a reader notices)
 * is measured once more and the second measurement decides: on a busy machine a stall of the
 * doctor's own process can look like a hop's, but it seldom strikes twice the same way.
 */
export async function diagnose(
  target: DoctorTarget,
  timeoutMs: number,
  capture: CaptureFn = captureOverHttp,
  egress: EgressConfig = DIRECT,
): Promise<Diagnosis> {
  const first = await measure(target, timeoutMs, capture, egress);
  if (!isBorderline(first)) return first;
  const second = await measure(target, timeoutMs, capture, egress);
  const primary = first.causes[0];
  return {
    ...second,
    earlier: [
      {
        verdict: first.verdict,
        cause: primary?.id ?? 'healthy',
        title: primary?.title ?? first.verdict,
      },
    ],
  };
}

async function measure(
  target: DoctorTarget,
  timeoutMs: number,
  capture: CaptureFn,
  egress: EgressConfig,
): Promise<Diagnosis> {
  const token = doctorToken();
  const timeline = await capture(requestFor(target, timeoutMs, egress, token));
  return classify({ ...timeline, doctorToken: token });
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

/** `--chain`: each point in turn, outermost first, one at a time for the same reason. */
export async function diagnoseChain(
  targets: readonly DoctorTarget[],
  timeoutMs: number,
  capture: CaptureFn = captureOverHttp,
  egress: EgressConfig = DIRECT,
): Promise<ChainResult> {
  const runs: Diagnosis[] = [];
  for (const target of targets) runs.push(await diagnose(target, timeoutMs, capture, egress));
  return chainDiagnoses(runs);
}
