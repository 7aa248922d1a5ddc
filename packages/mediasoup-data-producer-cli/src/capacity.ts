// The capacity search: runs the same load at a rising offered rate, step by step, until a
// step loses messages (or fails otherwise), falls short of the offered rate, or passes the
// latency bound; the highest rate that passed is what the app sustained. It knows nothing
// of flags: it is given the schedule, the bound and a function that runs one step.

import type { Summary, Throughput } from './summary.js';

export interface CapacitySchedule {
  /** Messages per second per producer of the first step. */
  startRate: number;
  /** Each step offers this many times the rate of the one before (> 1). */
  factor: number;
  /** The search stops after this many steps, passed or not. */
  maxSteps: number;
}

export interface CapacityBound {
  /** A step whose p99 latency (at the consumers if any, else at the router) is above fails. */
  maxP99Ms: number;
  /** A step that sends less than this share of the offered rate fails (default 0.9). */
  minSentShare?: number;
}

export interface CapacityStep {
  step: number;
  /** Offered messages per second per producer. */
  rate: number;
  offered: Throughput;
  sent: Throughput;
  /** At the consumers when there are any, else at the router; absent when not reported. */
  received?: Throughput;
  lost?: number;
  outOfOrder?: number;
  p99Ms?: number;
  passed: boolean;
  /** Why it failed (empty when it passed). */
  reasons: string[];
  summary: Summary;
}

export interface CapacityResult {
  steps: CapacityStep[];
  /** The last step that passed, with every step before it; undefined when the first failed. */
  sustained?: CapacityStep;
  stoppedBy: 'failed-step' | 'max-steps' | 'interrupted';
}

/** The offered rate of each step: startRate × factor^i, rounded to 3 significant digits. */
export function stepRates({ startRate, factor, maxSteps }: CapacitySchedule): number[] {
  return Array.from({ length: maxSteps }, (_unused, i) =>
    Number((startRate * factor ** i).toPrecision(3)),
  );
}

/** Why a step failed, from its summary; empty when it passed. */
export function judgeStep(
  summary: Summary,
  offeredMessagesPerSecond: number,
  { maxP99Ms, minSentShare = 0.9 }: CapacityBound,
): string[] {
  const reasons = [...summary.problems];
  const c = summary.consumers;
  const p99 = c ? c.latencyMs?.p99 : summary.latencyMs?.p99;
  if (p99 !== undefined && p99 > maxP99Ms) {
    reasons.push(`p99 latency ${p99.toFixed(1)} ms > ${maxP99Ms} ms`);
  }
  const sent = summary.throughput.sent.messagesPerSecond;
  if (sent < minSentShare * offeredMessagesPerSecond) {
    reasons.push(
      `sent ${Math.round(sent)} msg/s of ${Math.round(offeredMessagesPerSecond)} offered`,
    );
  }
  return reasons;
}

/**
 * Runs the steps in order until one fails (or maxSteps, or `interrupted()`); `runStep`
 * runs one at a rate (messages per second per producer) and returns its summary.
 */
export async function searchCapacity(
  schedule: CapacitySchedule,
  bound: CapacityBound,
  shape: { producers: number; size: number },
  runStep: (rate: number, step: number) => Promise<Summary>,
  {
    onStep,
    interrupted = () => false,
  }: {
    onStep?: (step: CapacityStep) => void;
    interrupted?: () => boolean;
  } = {},
): Promise<CapacityResult> {
  const steps: CapacityStep[] = [];
  let sustained: CapacityStep | undefined;
  for (const [i, rate] of stepRates(schedule).entries()) {
    const summary = await runStep(rate, i + 1);
    if (interrupted() || summary.outcome === 'interrupted') {
      return { steps, ...(sustained && { sustained }), stoppedBy: 'interrupted' };
    }
    const offeredMessages = rate * shape.producers;
    const c = summary.consumers;
    const p99 = c ? c.latencyMs?.p99 : summary.latencyMs?.p99;
    const received = c ? c.throughput : summary.throughput.received;
    const lost = c ? c.lost + (summary.lost ?? 0) : summary.lost;
    const outOfOrder = c ? c.outOfOrder + (summary.outOfOrder ?? 0) : summary.outOfOrder;
    const reasons = judgeStep(summary, offeredMessages, bound);
    const step: CapacityStep = {
      step: i + 1,
      rate,
      offered: {
        messagesPerSecond: offeredMessages,
        megabytesPerSecond: (offeredMessages * shape.size) / 1e6,
      },
      sent: summary.throughput.sent,
      ...(received && { received }),
      ...(lost !== undefined && { lost }),
      ...(outOfOrder !== undefined && { outOfOrder }),
      ...(p99 !== undefined && { p99Ms: p99 }),
      passed: reasons.length === 0,
      reasons,
      summary,
    };
    steps.push(step);
    onStep?.(step);
    if (!step.passed) return { steps, ...(sustained && { sustained }), stoppedBy: 'failed-step' };
    sustained = step;
  }
  return { steps, ...(sustained && { sustained }), stoppedBy: 'max-steps' };
}

/** The sustained rate in the units a load-tester wants: per producer, per bot and in total. */
export function sustainedFigures(
  step: CapacityStep,
  shape: { transports: number; producers: number; size: number },
): {
  ratePerProducer: number;
  total: Throughput;
  perBot: Throughput;
  delivered?: Throughput;
} {
  const total = step.sent;
  return {
    ratePerProducer: step.rate,
    total,
    perBot: {
      messagesPerSecond: total.messagesPerSecond / shape.transports,
      megabytesPerSecond: total.megabytesPerSecond / shape.transports,
    },
    ...(step.received && { delivered: step.received }),
  };
}

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function rates(t: Throughput): string {
  return `${count.format(t.messagesPerSecond)} msg/s, ${t.megabytesPerSecond.toFixed(2)} MB/s`;
}

/** One step's line. */
export function formatCapacityStep(step: CapacityStep): string {
  return (
    `step ${step.step}: ${count.format(step.rate)} msg/s per producer ` +
    `(${count.format(step.offered.messagesPerSecond)} offered): sent ${rates(step.sent)}` +
    (step.received ? `; received ${rates(step.received)}` : '') +
    (step.lost !== undefined ? `; lost ${count.format(step.lost)}` : '') +
    (step.p99Ms !== undefined ? `; p99 ${step.p99Ms.toFixed(1)} ms` : '') +
    (step.passed ? ': OK' : `: FAILED (${step.reasons.join('; ')})`)
  );
}

/** The capacity summary: the steps, the sustained rate and why the search stopped. */
export function formatCapacity(
  result: CapacityResult,
  shape: { transports: number; producers: number; size: number },
  bound: CapacityBound,
): string[] {
  const lines = [
    `Capacity: ${shape.transports} transports × ${shape.producers} producer${shape.producers === 1 ? '' : 's'}, ` +
      `${count.format(shape.size)} B messages; bound: no loss, p99 ≤ ${bound.maxP99Ms} ms`,
    ...result.steps.map((s) => `  ${formatCapacityStep(s)}`),
  ];
  const s = result.sustained;
  if (s) {
    const f = sustainedFigures(s, shape);
    lines.push(
      `  sustained  ${count.format(f.ratePerProducer)} msg/s per producer: ${rates(f.total)} in total, ` +
        `${rates(f.perBot)} per bot` +
        (f.delivered ? ` (delivered ${rates(f.delivered)})` : ''),
    );
  } else {
    lines.push('  sustained  none: the first step failed');
  }
  const last = result.steps[result.steps.length - 1];
  lines.push(
    `  stopped    ${
      result.stoppedBy === 'failed-step' && last
        ? `at step ${last.step} (${count.format(last.rate)} msg/s per producer): ${last.reasons.join('; ')}`
        : result.stoppedBy === 'max-steps'
          ? 'after the last step (--max-steps): the bound was never reached, raise --rate or --max-steps'
          : 'interrupted'
    }`,
  );
  return lines;
}
