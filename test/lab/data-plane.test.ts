/**
 * The lab's data plane as a modality sees it: real TCP clients through a loopback VIP to real echo servers on
 * 127.0.0.x, target health driven by the group's own TCP checks in scaled time, changes made through the real
 * SDK. Time: scale 50 (a 5 s interval is 100 ms); every wait is a bounded hang check, never a timing assertion.
 */
import { ScaledClock } from '../../lab/clock';
import { Elbv2Endpoint } from '../../lab/elbv2-endpoint';
import type { Vip } from '../../lab/vip';
import { EchoPeer } from '../peers/echo-peer';
import { ElbCalls, oneShot, sdkClient, VipClient, waitFor } from './data-plane-helpers';

const SCALE = 50;
const ARN = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/${name}/0123456789abcdef`;

let endpoint: Elbv2Endpoint;
let elb: ElbCalls;
const peers: EchoPeer[] = [];
const clients: VipClient[] = [];

beforeEach(async () => {
  endpoint = await Elbv2Endpoint.start({
    clock: new ScaledClock(SCALE),
    registrationDelaySeconds: 10,
    healthCheck: { intervalSeconds: 5, timeoutSeconds: 2, healthyThresholdCount: 2, unhealthyThresholdCount: 2 },
  });
  elb = new ElbCalls(sdkClient(endpoint.endpoint));
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  elb.client.destroy();
  await endpoint.close();
  await Promise.all(peers.splice(0).map((peer) => peer.close()));
});

async function group(name: string, hosts: string[], withHealthPort = false): Promise<{ arn: string; vip: Vip; peers: EchoPeer[] }> {
  const started = await EchoPeer.startAll(hosts, withHealthPort);
  peers.push(...started);
  const arn = ARN(name);
  endpoint.createTargetGroup(arn);
  const vip = await endpoint.addListener(arn, { host: '127.0.0.1' });
  return { arn, vip, peers: started };
}

const target = (peer: EchoPeer) => ({ ip: peer.host, port: peer.traffic.port });
const client = (vip: Vip, localAddress?: string) => {
  const c = new VipClient(vip, localAddress);
  clients.push(c);
  return c;
};

describe('lab data plane (checks model, scaled time)', () => {
  it('keeps a new target initial through the registration delay and until real TCP checks pass; initial targets get no connection', async () => {
    const { arn, vip, peers: [a, b] } = await group('initial', ['127.0.0.71', '127.0.0.72']);
    await elb.register(arn, target(a!));
    expect(await elb.states(arn)).toEqual({ '127.0.0.71': 'initial' });
    // Initial only: nothing to route to, the client is reset at once and counted.
    expect(await oneShot(vip)).toBe('reset');
    await waitFor('A healthy', async () => (await elb.states(arn))['127.0.0.71'] === 'healthy');
    // Healthy only after the group's own checks reached A's port: the healthy threshold is 2.
    expect(a!.traffic.accepted).toBeGreaterThanOrEqual(2);
    expect(await oneShot(vip)).toBe('echoed');

    // B does not listen: it stays initial through its checks, then turns unhealthy, and never gets a connection.
    await b!.traffic.stopListening();
    await elb.register(arn, target(b!));
    for (let i = 0; i < 6; i += 1) expect(await oneShot(vip)).toBe('echoed');
    await waitFor('B unhealthy', async () => (await elb.states(arn))['127.0.0.72'] === 'unhealthy');
    expect(vip.counters.forwarded).toEqual({ [`127.0.0.71:${a!.traffic.port}`]: 7 });

    // B starts listening: healthy after two passing checks, then the two take turns.
    await b!.traffic.listen();
    await waitFor('B healthy', async () => (await elb.states(arn))['127.0.0.72'] === 'healthy');
    for (let i = 0; i < 4; i += 1) expect(await oneShot(vip)).toBe('echoed');
    expect(vip.counters.forwarded[`127.0.0.72:${b!.traffic.port}`]).toBe(2);
    expect(vip.counters).toMatchObject({ accepted: 12, refusedNoTarget: 1, targetConnectFailures: 0, resetByTermination: 0 });
  });

  it('reports targets of a group no listener uses as unused, and checks nothing', async () => {
    const [a] = await EchoPeer.startAll(['127.0.0.73']);
    peers.push(a!);
    endpoint.createTargetGroup(ARN('unused'));
    await elb.register(ARN('unused'), target(a!));
    await endpoint.clock.sleep(40_000);
    expect(await elb.states(ARN('unused'))).toEqual({ '127.0.0.73': 'unused' });
    expect(a!.traffic.accepted).toBe(0);
  });

  it('a draining target keeps its open connection, gets no new one, and loses it when the deregistration delay ends', async () => {
    const { arn, vip, peers: [a, b] } = await group('drain', ['127.0.0.74', '127.0.0.75']);
    await elb.attributes(arn, { 'deregistration_delay.timeout_seconds': '30', 'deregistration_delay.connection_termination.enabled': 'true' });
    await elb.register(arn, target(a!));
    await waitFor('A healthy', async () => (await elb.states(arn))['127.0.0.74'] === 'healthy');
    const open = client(vip);
    expect(await open.echo('before')).toBe('echoed');

    await elb.register(arn, target(b!));
    await waitFor('B healthy', async () => (await elb.states(arn))['127.0.0.75'] === 'healthy');
    await elb.deregister(arn, target(a!));
    expect(await elb.states(arn)).toEqual({ '127.0.0.74': 'draining', '127.0.0.75': 'healthy' });
    // The open association still works while A drains; every new one goes to B.
    expect(await open.echo('during')).toBe('echoed');
    for (let i = 0; i < 3; i += 1) expect(await oneShot(vip)).toBe('echoed');
    expect(vip.counters.forwarded[`127.0.0.75:${b!.traffic.port}`]).toBe(3);

    await waitFor('A gone', async () => !('127.0.0.74' in (await elb.states(arn))));
    await waitFor('open connection reset', () => open.outcome !== undefined);
    expect(open.outcome).toBe('reset');
    expect(vip.counters.resetByTermination).toBe(1);
  });

  it('without deregistration connection termination, a connection outlives its deregistered target (AWS default for TCP)', async () => {
    const { arn, vip, peers: [a] } = await group('keep', ['127.0.0.76']);
    await elb.attributes(arn, { 'deregistration_delay.timeout_seconds': '10' });
    await elb.register(arn, target(a!));
    await waitFor('A healthy', async () => (await elb.states(arn))['127.0.0.76'] === 'healthy');
    const open = client(vip);
    expect(await open.echo('before')).toBe('echoed');
    await elb.deregister(arn, target(a!));
    await waitFor('A gone', async () => Object.keys(await elb.states(arn)).length === 0);
    expect(await open.echo('after')).toBe('echoed');
    // With no target left, a new connection has nowhere to go.
    expect(await oneShot(vip)).toBe('reset');
    expect(vip.counters).toMatchObject({ refusedNoTarget: 1, resetByTermination: 0 });
  });

  it('fails open only when every registered, non-draining target is unhealthy', async () => {
    // The NLB checks a separate health port: stopping it fails the check while the service still answers.
    const { arn, vip, peers: [a, b, c] } = await group('failopen', ['127.0.0.77', '127.0.0.78', '127.0.0.79'], true);
    await elb.healthCheck(arn, { port: a!.health!.port });
    await elb.register(arn, target(a!), target(b!));
    await waitFor('A and B healthy', async () => Object.values(await elb.states(arn)).join() === 'healthy,healthy');
    await a!.health!.stopListening();
    await waitFor('A unhealthy', async () => (await elb.states(arn))['127.0.0.77'] === 'unhealthy');
    for (let i = 0; i < 4; i += 1) expect(await oneShot(vip)).toBe('echoed');
    expect(vip.counters.forwarded[`127.0.0.77:${a!.traffic.port}`]).toBeUndefined();

    await b!.health!.stopListening();
    await waitFor('B unhealthy', async () => (await elb.states(arn))['127.0.0.78'] === 'unhealthy');
    // Every target unhealthy: AWS routes to all of them.
    for (let i = 0; i < 4; i += 1) expect(await oneShot(vip)).toBe('echoed');
    expect(vip.counters.failOpenForwarded).toBe(4);
    expect(vip.counters.forwarded[`127.0.0.77:${a!.traffic.port}`]).toBe(2);

    // A new target in initial means not every target is unhealthy: no fail-open, and nothing healthy either.
    await elb.register(arn, target(c!));
    expect(await oneShot(vip)).toBe('reset');
    expect(vip.counters).toMatchObject({ failOpenForwarded: 4, refusedNoTarget: 1 });
  });

  it('source-IP stickiness keeps a client on its target while it stays healthy; without it targets take turns', async () => {
    const { arn, vip, peers: [a, b] } = await group('sticky', ['127.0.0.81', '127.0.0.82']);
    await elb.register(arn, target(a!), target(b!));
    await waitFor('both healthy', async () => Object.values(await elb.states(arn)).join() === 'healthy,healthy');
    for (let i = 0; i < 4; i += 1) await oneShot(vip, '127.0.0.101');
    expect(Object.values(vip.counters.forwarded)).toEqual([2, 2]);

    await elb.attributes(arn, { 'stickiness.enabled': 'true', 'stickiness.type': 'source_ip' });
    const before = { ...vip.counters.forwarded };
    for (let i = 0; i < 5; i += 1) {
      expect(await oneShot(vip, '127.0.0.101')).toBe('echoed');
      expect(await oneShot(vip, '127.0.0.102')).toBe('echoed');
    }
    const gained = Object.fromEntries(Object.entries(vip.counters.forwarded).map(([k, v]) => [k, v - (before[k] ?? 0)]));
    // Each client stayed on one target (5 + 5 on one, or 10 on one of them).
    expect(Object.values(gained).every((n) => n % 5 === 0)).toBe(true);

    // The sticky target of 127.0.0.101 fails: the client moves to the other target and stays there.
    const probe = { ...vip.counters.forwarded };
    await oneShot(vip, '127.0.0.101');
    const stickyKey = Object.keys(vip.counters.forwarded).find((k) => vip.counters.forwarded[k] !== probe[k])!;
    const [stickyPeer, otherPeer] = stickyKey.startsWith('127.0.0.81') ? [a, b] : [b, a];
    await stickyPeer!.traffic.stopListening();
    await waitFor('sticky target unhealthy', async () => (await elb.states(arn))[stickyPeer!.host] === 'unhealthy');
    const otherKey = `${otherPeer!.host}:${otherPeer!.traffic.port}`;
    const otherBefore = vip.counters.forwarded[otherKey] ?? 0;
    for (let i = 0; i < 3; i += 1) expect(await oneShot(vip, '127.0.0.101')).toBe('echoed');
    expect(vip.counters.forwarded[otherKey]).toBe(otherBefore + 3);
  });

  it("resets an unhealthy target's open connections by default; with termination off it drains them for the interval", async () => {
    const { arn, vip, peers: [a, b] } = await group('terminate', ['127.0.0.83', '127.0.0.84'], true);
    await elb.healthCheck(arn, { port: a!.health!.port });
    await elb.register(arn, target(a!), target(b!));
    await waitFor('both healthy', async () => Object.values(await elb.states(arn)).join() === 'healthy,healthy');
    const onA = client(vip);
    const onB = client(vip);
    expect([await onA.echo('x'), await onB.echo('y')]).toEqual(['echoed', 'echoed']);
    expect(a!.openConnections).toBe(1);

    // AWS's default: connection termination on unhealthy: A's association is reset when A fails its check.
    await a!.health!.stopListening();
    await waitFor('A unhealthy', async () => (await elb.states(arn))['127.0.0.83'] === 'unhealthy');
    await waitFor('connection on A reset', () => onA.outcome !== undefined);
    expect(onA.outcome).toBe('reset');
    expect(await onB.echo('still')).toBe('echoed');

    // Termination off with a draining interval: B's association survives B's failure for the interval, then goes.
    await elb.attributes(arn, {
      'target_health_state.unhealthy.connection_termination.enabled': 'false',
      'target_health_state.unhealthy.draining_interval_seconds': '60',
    });
    await a!.health!.listen();
    await waitFor('A healthy again', async () => (await elb.states(arn))['127.0.0.83'] === 'healthy');
    await b!.health!.stopListening();
    await waitFor('B unhealthy.draining', async () => (await elb.states(arn))['127.0.0.84'] === 'unhealthy.draining');
    expect(await onB.echo('draining')).toBe('echoed');
    await waitFor('B unhealthy', async () => (await elb.states(arn))['127.0.0.84'] === 'unhealthy');
    await waitFor('connection on B reset', () => onB.outcome !== undefined);
    expect(onB.outcome).toBe('reset');
    expect(vip.counters.resetByTermination).toBe(2);
  });

  it('validates attribute and health-check changes as AWS does, every problem at once', async () => {
    endpoint.createTargetGroup(ARN('settings'));
    const error = (p: Promise<unknown>) => p.then(() => 'ok', (e: { name: string; message: string }) => `${e.name}: ${e.message}`);
    expect(
      await error(elb.attributes(ARN('settings'), { 'stickiness.type': 'lb_cookie', 'deregistration_delay.timeout_seconds': '4000', 'bogus.key': '1' })),
    ).toBe(
      "ValidationError: Stickiness type 'lb_cookie' is not supported for target groups with the TCP protocol; " +
        "deregistration_delay.timeout_seconds: '4000' must be an integer from 0 to 3600; 'bogus.key' is not a valid attribute key for a TCP target group",
    );
    expect(await error(elb.attributes(ARN('settings'), { 'target_health_state.unhealthy.draining_interval_seconds': '60' }))).toMatch(
      /can only be set when target_health_state\.unhealthy\.connection_termination\.enabled is false/,
    );
    expect(await error(elb.healthCheck(ARN('settings'), { interval: 5, timeout: 5 }))).toBe('ValidationError: Health check interval must be greater than the timeout.');
    expect(await error(elb.healthCheck(ARN('settings'), { interval: 4, healthy: 11 }))).toBe(
      "ValidationError: HealthCheckIntervalSeconds: '4' must be an integer from 5 to 300; HealthyThresholdCount: '11' must be an integer from 2 to 10",
    );
    expect(endpoint.settings(ARN('settings')).attributes['stickiness.type']).toBe('source_ip');
  });
});
