/** Site validation of `discover` (EC2 discovery of real servers): every problem with its path, all at once. */
import { parseSite, siteProblems } from '../../lib/site';
import { exampleWith, problemsAfter } from './fixtures';

const texts = (problems: { path: string; message: string }[]) => problems.map((p) => `${p.path}: ${p.message}`);

describe('discover', () => {
  it('accepts tags and instance ids mixed with static servers, an empty realServers with discover, and a transparent service', () => {
    const site = parseSite(
      exampleWith((s) => {
        s.services[0].transparent = true;
        s.services[0].discover = { tags: { Role: ['pacs-dicom', 'pacs'] }, subnetIds: ['subnet-0aaaaaaaaaaaaaaa1'], availabilityZones: ['eu-west-2a'] };
        s.services[1].realServers = [];
        s.services[1].discover = { instanceIds: ['i-0123456789abcdef0', 'i-01234567'] };
        delete s.viewer.realServers;
        s.viewer.discover = { tags: { Role: ['viewer'] } };
      }),
    );
    expect(site.services[0]!.discover).toEqual({ tags: { Role: ['pacs-dicom', 'pacs'] }, subnetIds: ['subnet-0aaaaaaaaaaaaaaa1'], availabilityZones: ['eu-west-2a'] });
    expect(site.services[1]!.realServers).toEqual([]);
    expect(site.viewer!.realServers).toEqual([]);
  });

  it('reports selectors that can never match and malformed parts, each with its path, together', () => {
    const problems = problemsAfter((s) => {
      s.services[0].discover = { tags: { Role: [] } };
      s.services[1].discover = { tags: {}, instanceIds: [] };
      s.services[2].discover = { subnetIds: ['subnet-0aaaaaaaaaaaaaaa1'] };
      s.services[3].discover = { instanceIds: ['i-XYZ'], availabilityZones: [] };
    });
    expect(texts(problems)).toEqual(
      expect.arrayContaining([
        'services[0].discover.tags.Role: must not be empty: a selector that can never match',
        'services[1].discover.tags: needs at least one tag key: a selector that can never match',
        'services[1].discover.instanceIds: must not be empty: a selector that can never match',
        'services[2].discover: give tags or instanceIds (or both): without them nothing is selected',
        expect.stringMatching(/^services\[3\]\.discover\.instanceIds\[0\]: is not an EC2 instance id like i-0123456789abcdef0/),
        'services[3].discover.availabilityZones: must not be empty: a selector that can never match',
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  it('subnets must be listed subnets of the VPC; zones must be in the region and able to hold a selected subnet', () => {
    expect(
      texts(
        problemsAfter((s) => {
          s.services[0].discover = { tags: { Role: ['pacs'] }, subnetIds: ['subnet-0ccccccccccccccc3'], availabilityZones: ['eu-west-1a'] };
          s.services[1].discover = { tags: { Role: ['hl7'] }, subnetIds: ['subnet-0aaaaaaaaaaaaaaa1'], availabilityZones: ['eu-west-2b'] };
        }),
      ),
    ).toEqual([
      'services[0].discover.subnetIds[0]: subnet-0ccccccccccccccc3 is not a subnet of the VPC (subnet-0aaaaaaaaaaaaaaa1, subnet-0bbbbbbbbbbbbbbb2); list it under network.existingVpc.subnets',
      "services[0].discover.availabilityZones[0]: eu-west-1a is not in the site's region eu-west-2: the selector could never match",
      'services[1].discover.availabilityZones: none of eu-west-2b holds one of the subnets (subnet-0aaaaaaaaaaaaaaa1): the selector could never match',
    ]);
  });

  it('a new VPC has no subnet ids at synth: subnetIds are refused with advice', () => {
    const problems = siteProblems(
      exampleWith((s) => {
        s.network = { newVpc: { cidr: '10.12.0.0/16' } };
        s.controller = { awsApiAccess: 'nat' };
        s.services[0].discover = { tags: { Role: ['pacs'] }, subnetIds: ['subnet-0aaaaaaaaaaaaaaa1'] };
      }),
    );
    expect(texts(problems)).toContain('services[0].discover.subnetIds: need network.existingVpc: the subnets of a new VPC get their ids at deploy time; use availabilityZones instead');
  });

  it('a pool with neither real servers nor discover is refused (service and viewer)', () => {
    expect(
      texts(
        problemsAfter((s) => {
          s.services[0].realServers = [];
          delete s.viewer.realServers;
        }),
      ),
    ).toEqual([
      'services[0].realServers: needs at least one real server, or discover (EC2 instances by tags or instance ids)',
      'viewer.realServers: needs at least one real server, or discover (EC2 instances by tags or instance ids)',
    ]);
  });
});
