/** The site schema's network section: an existing VPC by attributes, or a new one. */
import { z } from 'zod';
import * as defaults from './site-defaults';
import { AVAILABILITY_ZONE_PATTERN, integerIn, vpcCidrSchema } from './schema-common';

// ---------------------------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------------------------

/** A subnet of an existing VPC, given by attributes (no context lookups: synth stays offline). */
export const subnetSchema = z.strictObject({
  /** Subnet id, e.g. subnet-0123456789abcdef0. */
  subnetId: z.string().regex(/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, { error: 'is not a subnet id like subnet-0123456789abcdef0' }).describe('Subnet id'),
  /** Availability Zone of the subnet, e.g. eu-west-2a. */
  availabilityZone: z.string().regex(AVAILABILITY_ZONE_PATTERN, { error: 'is not an Availability Zone name like eu-west-2a' }).describe('Availability Zone, e.g. eu-west-2a'),
  /** The subnet's CIDR block (inside the VPC CIDR). */
  cidr: vpcCidrSchema.describe("The subnet's CIDR block, inside the VPC CIDR"),
  /** Route table id, when the stack needs it (e.g. for gateway endpoints). */
  routeTableId: z.string().regex(/^rtb-([0-9a-f]{8}|[0-9a-f]{17})$/, { error: 'is not a route table id like rtb-0123456789abcdef0' }).optional().describe('Route table id (optional)'),
});

/** An existing VPC imported by attributes. */
const existingVpcSchema = z.strictObject({
  /** VPC id, e.g. vpc-0123456789abcdef0. */
  vpcId: z.string().regex(/^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, { error: 'is not a VPC id like vpc-0123456789abcdef0' }).describe('VPC id'),
  /** The VPC's (primary) CIDR block; an IP outside it is on-premises. */
  cidr: vpcCidrSchema.describe("The VPC's CIDR block; real servers outside it are on-premises"),
  /** Subnets the load balancers may use; VIPs must lie in them (one VIP per subnet). */
  subnets: z.array(subnetSchema).min(1, { error: 'needs at least one subnet' }).describe('Subnets for the load balancers; VIPs must lie in them'),
});

/** A new VPC created by the stack. */
const newVpcSchema = z.strictObject({
  /** CIDR of the new VPC. */
  cidr: vpcCidrSchema.describe('CIDR block of the new VPC'),
  /** Number of Availability Zones to span. @default 2 */
  maxAzs: integerIn(1, 6).default(defaults.DEFAULT_NEW_VPC_MAX_AZS).describe('Availability Zones to span (default 2)'),
});

type ExistingVpcDefinitionShape = z.output<typeof existingVpcSchema>;
type NewVpcDefinitionShape = z.output<typeof newVpcSchema>;

/** Network: exactly one of `existingVpc` or `newVpc`. */
export const networkSchema = z
  .strictObject({
    /** Import an existing VPC by attributes. */
    existingVpc: existingVpcSchema.optional().describe('Import an existing VPC by attributes (no lookups)'),
    /** Create a new VPC. */
    newVpc: newVpcSchema.optional().describe('Create a new VPC'),
  })
  .superRefine((network, ctx) => {
    const given = [network.existingVpc, network.newVpc].filter((part) => part !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: given === 0 ? 'give either existingVpc or newVpc' : 'give either existingVpc or newVpc, not both',
      });
    }
  })
  .transform(
    (network): { existingVpc: ExistingVpcDefinitionShape; newVpc?: undefined } | { newVpc: NewVpcDefinitionShape; existingVpc?: undefined } =>
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- the refinement above requires exactly one of existingVpc and newVpc
      network.existingVpc ? { existingVpc: network.existingVpc } : { newVpc: network.newVpc! },
  )
  .describe('Exactly one of existingVpc or newVpc');
