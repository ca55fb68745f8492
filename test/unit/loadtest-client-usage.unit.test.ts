import { CLIENT_LIMITS, type ClientSample, judgeClient } from '../../tools/loadtest/client-usage';

const calm: ClientSample = {
  wallMs: 6000,
  userMs: 1500,
  systemMs: 300,
  cpuPercent: 30,
  eventLoopDelayP50Ms: 0.5,
  eventLoopDelayP99Ms: 3,
  eventLoopDelayMaxMs: 8,
};
const onSchedule = { rate: 5000, sentPerSecond: 4999, sendLagP99Ms: 4 };

describe('judgeClient: was the load tool, not the service, the limit', () => {
  it('is not limited when CPU, event-loop delay, send lag and send rate are all within bounds', () => {
    const judged = judgeClient(calm, onSchedule);
    expect(judged).toMatchObject({ limited: false, reasons: [], cpuPercent: 30 });
  });

  it('is limited when the tool uses nearly a whole core', () => {
    const judged = judgeClient({ ...calm, cpuPercent: CLIENT_LIMITS.cpuPercent }, onSchedule);
    expect(judged.limited).toBe(true);
    expect(judged.reasons).toEqual([expect.stringContaining('client CPU 85 %')]);
  });

  it('is limited when its event loop runs late at p99', () => {
    const judged = judgeClient({ ...calm, eventLoopDelayP99Ms: 25 }, onSchedule);
    expect(judged.reasons).toEqual([expect.stringContaining('event-loop delay p99 25 ms')]);
  });

  it('is limited in open loop when requests start late (send lag) or below the asked rate', () => {
    expect(judgeClient(calm, { ...onSchedule, sendLagP99Ms: 30 }).reasons).toEqual([
      expect.stringContaining('send lag p99 30 ms'),
    ]);
    expect(judgeClient(calm, { ...onSchedule, sentPerSecond: 4000 }).reasons).toEqual([
      expect.stringContaining('started 4000/s of the 5000/s asked'),
    ]);
  });

  it('ignores send lag and rate in closed loop, where there is no schedule', () => {
    const judged = judgeClient(calm, { rate: null, sentPerSecond: 10, sendLagP99Ms: null });
    expect(judged.limited).toBe(false);
  });

  it('lists every threshold crossed', () => {
    const judged = judgeClient(
      { ...calm, cpuPercent: 99, eventLoopDelayP99Ms: 40 },
      { rate: 5000, sentPerSecond: 3000, sendLagP99Ms: 90 },
    );
    expect(judged.reasons).toHaveLength(4);
  });
});
