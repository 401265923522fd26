/** Building blocks of the site schema (lib/site/schema.ts): numbers, names, addresses, CIDRs, AWS patterns, AE titles. */
import { z } from 'zod';
import { AE_TITLE_RULE, isAeTitle, SERVER_NAME_RULE, serverNameProblem } from '../../contract/check';
import { cidrProblem, isIpv4, parseCidr } from './ipv4';

// ---------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------

/** An integer within [min, max]; one message for every way of missing it. */
export function integerIn(min: number, max: number, unit = '') {
  const message = `must be an integer from ${min} to ${max}${unit}`;
  return z.int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

const NAME_PATTERN = /^[A-Za-z0-9-]+$/;

/** A name used in AWS resource names and metric dimensions. */
export function resourceName(what: string) {
  return z
    .string({ error: `${what} must be a string` })
    .min(1, { error: `${what} must not be empty`, abort: true })
    .max(32, { error: `${what} must be at most 32 characters`, abort: true })
    .regex(NAME_PATTERN, { error: `${what} may contain only letters, digits and "-"` });
}

/** A strict dotted-quad IPv4 address. */
export const ipv4AddressSchema = z
  .string({ error: 'must be an IPv4 address string' })
  .refine(isIpv4, { error: 'is not an IPv4 address like 10.12.1.100' })
  .describe('IPv4 address, dotted quad');

/** An IPv4 CIDR block whose host bits are zero. */
export const cidrSchema = z
  .string({ error: 'must be a CIDR block string' })
  .superRefine((text, ctx) => {
    const problem = cidrProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('IPv4 CIDR block, e.g. 10.12.0.0/16');

/** A VPC or subnet CIDR: AWS allows prefix lengths /16 to /28. */
export const vpcCidrSchema = cidrSchema.refine((text) => {
  const cidr = parseCidr(text);
  return cidr === undefined || (cidr.prefixLength >= 16 && cidr.prefixLength <= 28);
}, { error: 'must have a prefix length from /16 to /28 (AWS VPC and subnet limits)' });

export const tcpPortSchema = integerIn(1, 65535);

/** One address or a list (one per subnet); always a list once parsed. */
export const vipListSchema = z
  .union([ipv4AddressSchema, z.array(ipv4AddressSchema).min(1, { error: 'needs at least one address' })])
  .transform((value) => (typeof value === 'string' ? [value] : value));

/** AWS region name, e.g. eu-west-2. */
export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
export const AVAILABILITY_ZONE_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}[a-z]$/;
/** ACM certificate ARN; group 1 = region, group 2 = account. */
export const ACM_CERTIFICATE_ARN_PATTERN = /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:acm:([a-z0-9-]+):(\d{12}):certificate\/[A-Za-z0-9-]+$/;
/** SNS topic ARN; group 1 = region, group 2 = account. */
export const SNS_TOPIC_ARN_PATTERN = /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;
/** ELB security policies that offer TLS 1.3 and accept nothing older than TLS 1.2. */
export const TLS13_POLICY_PATTERN = /^ELBSecurityPolicy-TLS13-1-[23]-[A-Za-z0-9-]+$/;

/**
 * DICOM AE title (PS3.5 AE value representation): 1–16 characters, printable ASCII (space included),
 * no backslash, not only spaces (leading/trailing spaces are not significant).
 */
export const aeTitleSchema = z
  .string({ error: 'must be a string' })
  .refine(isAeTitle, { error: `is not a DICOM AE title: ${AE_TITLE_RULE}` })
  .describe(`DICOM AE title: ${AE_TITLE_RULE}`);

/** The DNS name a server's certificate holds, verified and sent as SNI (servers are probed by IP). */
export const serverNameSchema = z
  .string({ error: 'must be a string' })
  .superRefine((name, ctx) => {
    const problem = serverNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe(`TLS: certificate name and SNI, ${SERVER_NAME_RULE}`);
