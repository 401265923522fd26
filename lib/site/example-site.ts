/**
 * The example site: the appliance guide's worked example (section 8) on AWS, shipped as the default site.
 * examples/example-site.json holds the same site as JSON (a test keeps them equal).
 *
 * PLACEHOLDERS — replace before deploying:
 *   vpc-0123456789abcdef0                          # PLACEHOLDER VPC id
 *   subnet-0aaaaaaaaaaaaaaa1 / subnet-0bbbbbbbbbbbbbbb2  # PLACEHOLDER subnet ids (AZ a / AZ b)
 *   rtb-0aaaaaaaaaaaaaaa1 / rtb-0bbbbbbbbbbbbbbb2        # PLACEHOLDER route tables (for the controller's VPC endpoints)
 *   arn:aws:acm:eu-west-2:111122223333:certificate/00000000-0000-0000-0000-000000000000  # PLACEHOLDER certificate
 * The guide's addresses (10.12.1.x) are the first VIPs; the second-AZ VIPs are the same host numbers in 10.12.2.0/24.
 */
import type { SiteInput } from './schema';

/** The guide's worked example (§8): DICOM, HL7, XDS registry + repository and the HTTPS viewer. */
export const exampleSite: SiteInput = {
  name: 'example-hospital',
  description:
    'The Loadbalancer.org medical imaging guide, section 8, on AWS. PLACEHOLDER ids: vpc-0123456789abcdef0, ' +
    'subnet-0aaaaaaaaaaaaaaa1, subnet-0bbbbbbbbbbbbbbb2 and the certificate ARN are fake; replace them with yours. ' +
    'The check identities (called AE title PACS, the XDS OIDs under 1.2.826.0.1.3680043.10.1234) are placeholders too: ' +
    'your PACS and XDS administrators provide the real ones.',
  tags: { Project: 'medlb', Site: 'example-hospital' },
  env: { region: 'eu-west-2' },
  network: {
    existingVpc: {
      vpcId: 'vpc-0123456789abcdef0', // PLACEHOLDER
      cidr: '10.12.0.0/16',
      subnets: [
        { subnetId: 'subnet-0aaaaaaaaaaaaaaa1', availabilityZone: 'eu-west-2a', cidr: '10.12.1.0/24', routeTableId: 'rtb-0aaaaaaaaaaaaaaa1' }, // PLACEHOLDER ids
        { subnetId: 'subnet-0bbbbbbbbbbbbbbb2', availabilityZone: 'eu-west-2b', cidr: '10.12.2.0/24', routeTableId: 'rtb-0bbbbbbbbbbbbbbb2' }, // PLACEHOLDER ids
      ],
    },
  },
  // The hospital network and a modality network.
  allowedClientCidrs: ['10.12.0.0/16', '10.20.0.0/16'],
  controller: { intervalSeconds: 10, awsApiAccess: 'create-endpoints' },
  services: [
    {
      // Guide §8.3: Layer 4 DR (transparent), persistence 3600 s, check port 104 (the first port).
      label: 'DICOM-Modalities',
      vip: ['10.12.1.100', '10.12.2.100'],
      ports: [{ port: 104 }, { port: 11112 }],
      transparent: true,
      persistence: 'source-ip',
      idleTimeoutSeconds: 3600,
      // The PACS administrator gives the called AE title and accepts calling AE MEDLB from the controller's subnets.
      healthCheck: { protocol: 'dicom', port: 104, callingAeTitle: 'MEDLB', calledAeTitle: 'PACS' },
      realServers: [
        { label: 'DICOM1', ip: '10.12.1.110' },
        { label: 'DICOM2', ip: '10.12.1.111' },
      ],
    },
    {
      // Guide §8.4: Layer 7 SNAT (non-transparent), source-IP persistence 1 h.
      label: 'HL7',
      vip: ['10.12.1.120', '10.12.2.120'],
      ports: [{ port: 2575 }],
      transparent: false,
      persistence: 'source-ip',
      idleTimeoutSeconds: 3600,
      healthCheck: { protocol: 'hl7' },
      realServers: [
        { label: 'HL71', ip: '10.12.1.130' },
        { label: 'HL72', ip: '10.12.1.131' },
      ],
    },
    {
      // Guide §8.5: Layer 4 DR (transparent), persistence 3600 s.
      label: 'XDS-Registry',
      vip: ['10.12.1.140', '10.12.2.140'],
      ports: [{ port: 17035 }],
      transparent: true,
      persistence: 'source-ip',
      idleTimeoutSeconds: 3600,
      // A sentinel patient of the affinity domain (its assigning authority from the registry administrator) with no documents.
      healthCheck: { protocol: 'xds', transaction: 'registry', patientId: 'MEDLB-PROBE^^^&1.2.826.0.1.3680043.10.1234&ISO' },
      realServers: [{ label: 'XDS1', ip: '10.12.1.150' }],
    },
    {
      // A VIP belongs to one service: the repository gets its own NLB and addresses.
      label: 'XDS-Repository',
      vip: ['10.12.1.145', '10.12.2.145'],
      ports: [{ port: 17035 }],
      transparent: true,
      persistence: 'source-ip',
      idleTimeoutSeconds: 3600,
      // The repository's own OID, and a document id in the hospital's arc that the repository does not hold.
      healthCheck: {
        protocol: 'xds',
        transaction: 'repository',
        repositoryUniqueId: '1.2.826.0.1.3680043.10.1234.1',
        documentUniqueId: '1.2.826.0.1.3680043.10.1234.999999999',
      },
      realServers: [{ label: 'XDSREPO1', ip: '10.12.1.155' }],
    },
  ],
  // Guide §8.6: HTTPS-Viewer 443 → VIEWER1/VIEWER2:443; the ALB's cookie stickiness stands in for source-IP persistence.
  viewer: {
    label: 'HTTPS-Viewer',
    certificateArn: 'arn:aws:acm:eu-west-2:111122223333:certificate/00000000-0000-0000-0000-000000000000', // PLACEHOLDER
    sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09',
    healthCheckPath: '/',
    cookieStickinessSeconds: 3600,
    idleTimeoutSeconds: 3600,
    targetPort: 443,
    // Guide §8.6.1: clients use 10.12.1.160; a static-IP NLB in front of the ALB keeps a fixed address.
    staticVip: ['10.12.1.160', '10.12.2.160'],
    healthCheck: { protocol: 'https' },
    realServers: [
      { label: 'VIEWER1', ip: '10.12.1.170' },
      { label: 'VIEWER2', ip: '10.12.1.171' },
    ],
  },
  notifications: { emails: ['pacs-oncall@example-hospital.org'] },
};
