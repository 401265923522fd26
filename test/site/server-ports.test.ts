/** A real server's own port (appliance "real server port"): single-port services only, checked on that port. */
import { parseSite } from '../../lib/site';
import { exampleWith, problemsAfter } from './fixtures';

describe('realServers[].port', () => {
  test('a server of a single-port service may have its own port; the others keep the targetPort', () => {
    const site = parseSite(exampleWith((s) => (s.services[1].realServers[1].port = 3575)));
    expect(site.services[1]!.ports).toEqual([{ port: 2575, targetPort: 2575 }]);
    expect(site.services[1]!.realServers.map((server) => [server.label, server.port])).toEqual([
      ['HL71', undefined],
      ['HL72', 3575],
    ]);
  });

  test('refused in a multi-port service, saying why and what to do instead', () => {
    expect(problemsAfter((s) => (s.services[0].realServers[0].port = 1104))).toEqual([
      {
        path: 'services[0].realServers[0].port',
        message:
          'this service listens on ports 104, 11112, each with its own target group and real-server port (ports[].targetPort): ' +
          "one port per server cannot say which of them it replaces; remove it and set targetPort per port, or give the server's other port a service of its own",
      },
    ]);
  });

  test('an explicit check port other than the targetPort is refused beside a server with its own port; the targetPort itself is fine', () => {
    expect(
      problemsAfter((s) => {
        s.services[1].realServers[1].port = 3575;
        s.services[1].healthCheck.port = 2576;
      }),
    ).toEqual([
      {
        path: 'services[1].healthCheck.port',
        message:
          "realServers[1] listen on a port of their own and are checked there (the controller's check and the NLB's check on the traffic port): " +
          "a check port other than the service's targetPort 2575 would check something else; remove healthCheck.port or set it to 2575",
      },
    ]);
    expect(
      problemsAfter((s) => {
        s.services[1].realServers[1].port = 3575;
        s.services[1].healthCheck.port = 2575;
      }),
    ).toEqual([]);
    // Without servers of their own port, a separate check port stays as it was.
    expect(problemsAfter((s) => (s.services[1].healthCheck.port = 2576))).toEqual([]);
  });

  test('a viewer server may have its own port; a viewer check port elsewhere is refused beside it', () => {
    expect(problemsAfter((s) => (s.viewer.realServers[0].port = 8443))).toEqual([]);
    expect(
      problemsAfter((s) => {
        s.viewer.realServers[0].port = 8443;
        s.viewer.healthCheck.port = 9443;
      }),
    ).toEqual([expect.objectContaining({ path: 'viewer.healthCheck.port', message: expect.stringMatching(/targetPort 443 would check something else/) })]);
  });

  test('the port must be a TCP port', () => {
    expect(problemsAfter((s) => (s.services[1].realServers[0].port = 70000))).toEqual([
      expect.objectContaining({ path: 'services[1].realServers[0].port' }),
    ]);
  });
});
