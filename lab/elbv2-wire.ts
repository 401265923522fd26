/**
 * The lab ELBv2 endpoint's wire format: Query-API parameters in (target lists, attributes) and the 2015-12-01 XML
 * answers and error envelope out. Split from elbv2-endpoint.ts, which keeps the model and the dispatch.
 */
import { escapeXml, QueryApiError } from './query-api-server';
import type { EndpointTarget, LabTargetGroup } from './target-group';

export const API_VERSION = '2015-12-01';
export const XML_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

/** Targets named by a call (`Targets.member.N.*`), in order. */
export type CallTargets = readonly { readonly id: string; readonly port?: number; readonly availabilityZone?: string }[];

export function requiredArn(arn: string | undefined): string {
  if (!arn) throw new QueryApiError('ValidationError', 'TargetGroupArn is required');
  return arn;
}

export function requiredTargets(targets: CallTargets): CallTargets {
  if (targets.length === 0) throw new QueryApiError('ValidationError', 'Targets is required');
  return targets;
}

export function parseTargets(params: Record<string, string>): CallTargets {
  const targets: { id: string; port?: number; availabilityZone?: string }[] = [];
  for (let n = 1; ; n += 1) {
    const id = params[`Targets.member.${n}.Id`];
    if (id === undefined) break;
    const port = params[`Targets.member.${n}.Port`];
    targets.push({
      id,
      port: port === undefined ? undefined : Number(port),
      availabilityZone: params[`Targets.member.${n}.AvailabilityZone`],
    });
  }
  return targets;
}


export function memberXml(t: EndpointTarget): string {
  const az = t.availabilityZone ? `<AvailabilityZone>${escapeXml(t.availabilityZone)}</AvailabilityZone>` : '';
  const reason = t.reason ? `<Reason>${escapeXml(t.reason)}</Reason>` : '';
  const description = t.description ? `<Description>${escapeXml(t.description)}</Description>` : '';
  return (
    `<member><Target><Id>${escapeXml(t.id)}</Id><Port>${t.port}</Port>${az}</Target>` +
    `<HealthCheckPort>${t.port}</HealthCheckPort>` +
    `<TargetHealth><State>${t.state}</State>${reason}${description}</TargetHealth></member>`
  );
}

export function emptyResponse(action: string, requestId: string): string {
  return (
    `<${action}Response xmlns="${XML_NAMESPACE}"><${action}Result/>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function errorXml(error: QueryApiError, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** `Attributes.member.N.Key` / `.Value` → key → value. */
export function parseAttributes(params: Record<string, string>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (let n = 1; ; n += 1) {
    const key = params[`Attributes.member.${n}.Key`];
    if (key === undefined) break;
    attributes[key] = params[`Attributes.member.${n}.Value`] ?? '';
  }
  if (Object.keys(attributes).length === 0) throw new QueryApiError('ValidationError', 'Attributes is required');
  return attributes;
}

export function attributesResponse(action: string, attributes: Readonly<Record<string, string>>, requestId: string): string {
  const members = Object.entries(attributes)
    .map(([k, v]) => `<member><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></member>`)
    .join('');
  return (
    `<${action}Response xmlns="${XML_NAMESPACE}"><${action}Result><Attributes>${members}</Attributes></${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function targetGroupResponse(group: LabTargetGroup, requestId: string): string {
  const check = group.healthCheck;
  const name = group.arn.split('/')[1] ?? group.arn;
  return (
    `<ModifyTargetGroupResponse xmlns="${XML_NAMESPACE}"><ModifyTargetGroupResult><TargetGroups><member>` +
    `<TargetGroupArn>${escapeXml(group.arn)}</TargetGroupArn><TargetGroupName>${escapeXml(name)}</TargetGroupName>` +
    `<Protocol>TCP</Protocol><TargetType>ip</TargetType><HealthCheckProtocol>TCP</HealthCheckProtocol>` +
    `<HealthCheckPort>${check.port}</HealthCheckPort><HealthCheckEnabled>true</HealthCheckEnabled>` +
    `<HealthCheckIntervalSeconds>${check.intervalSeconds}</HealthCheckIntervalSeconds>` +
    `<HealthCheckTimeoutSeconds>${check.timeoutSeconds}</HealthCheckTimeoutSeconds>` +
    `<HealthyThresholdCount>${check.healthyThresholdCount}</HealthyThresholdCount>` +
    `<UnhealthyThresholdCount>${check.unhealthyThresholdCount}</UnhealthyThresholdCount>` +
    `</member></TargetGroups></ModifyTargetGroupResult>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></ModifyTargetGroupResponse>`
  );
}
