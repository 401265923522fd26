/**
 * The lab's local EC2 endpoint that answers `DescribeInstances` in the real EC2 Query API (form-encoded POST, XML in the
 * 2016-11-15 namespace, `<Response><Errors>` error envelope), so the real AWS SDK client and the real CLI can
 * discover loopback "instances" (point the SDK at it with AWS_ENDPOINT_URL_EC2).
 *
 * It models what discovery depends on: instances with a state, tags, VPC, subnet and zone; the filters
 * `Filter.N.Name` / `Filter.N.Value.M` (`tag:<key>`, `instance-id`, `vpc-id`, `subnet-id`, `availability-zone`,
 * `instance-state-name`; values of one filter are ORed, filters ANDed, `*` and `?` wildcards as EC2 has them);
 * `MaxResults`/`NextToken` pagination; the `InstanceId.N` parameter failing outright for an unknown id, as the
 * real API does; injected errors (e.g. RequestLimitExceeded, HTTP 503); and a call log.
 */
import { escapeXml, QueryApiError, QueryApiServer, type QueryApi } from './query-api-server';

const XML_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const SUPPORTED_FILTERS = new Set(['instance-id', 'vpc-id', 'subnet-id', 'availability-zone', 'instance-state-name']);

/** One instance as the endpoint holds it. */
export interface Ec2EndpointInstance {
  readonly instanceId: string;
  privateIp: string;
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  tags: Record<string, string>;
  vpcId: string;
  subnetId: string;
  availabilityZone: string;
}

/** One API call as the endpoint received it. */
export interface Ec2EndpointCall {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  /** Filters as sent: name → values. */
  readonly filters: Readonly<Record<string, readonly string[]>>;
  /** `ok`, or the error code the endpoint answered with. */
  readonly outcome: string;
}

/** Options of the endpoint endpoint. */
export interface Ec2EndpointOptions {
  /** Loopback address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Largest page the endpoint returns, whatever MaxResults asks (to force pagination). @default 1000 */
  readonly pageSize?: number;
}

interface PendingFault {
  remaining: number;
  readonly code: string;
  readonly message: string;
  readonly status: number;
}

/** The endpoint. Start it with {@link Ec2Endpoint.start}; close it with {@link Ec2Endpoint.close}. */
export class Ec2Endpoint {
  /** Every call received, in order. */
  readonly calls: Ec2EndpointCall[] = [];
  private readonly instances = new Map<string, Ec2EndpointInstance>();
  private readonly faults: PendingFault[] = [];
  private readonly pageSize: number;

  private server!: QueryApiServer;

  private constructor(options: Ec2EndpointOptions) {
    this.pageSize = options.pageSize ?? 1000;
  }

  /** Starts an endpoint on an ephemeral port. */
  static async start(options: Ec2EndpointOptions = {}): Promise<Ec2Endpoint> {
    const endpoint = new Ec2Endpoint(options);
    const api: QueryApi = {
      contentType: 'text/xml;charset=UTF-8',
      answer: ({ action, params, requestId }) => endpoint.answer(action, params, requestId),
      errorXml: (error, requestId) =>
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(error.code)}</Code>` +
        `<Message>${escapeXml(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      record: (action, params, outcome) => endpoint.calls.push({ action, params, filters: parseFilters(params), outcome }),
    };
    endpoint.server = await QueryApiServer.start(options.host ?? '127.0.0.1', api);
    return endpoint;
  }

  /** The URL to give the SDK (`endpoint` option or `AWS_ENDPOINT_URL_EC2`). */
  get endpoint(): string {
    return this.server.endpoint;
  }

  /** Adds (or replaces) an instance; running in vpc-fake / subnet-fake / us-east-1a unless told otherwise. */
  putInstance(instance: Partial<Ec2EndpointInstance> & Pick<Ec2EndpointInstance, 'instanceId' | 'privateIp'>): Ec2EndpointInstance {
    const stored: Ec2EndpointInstance = {
      state: 'running',
      tags: {},
      vpcId: 'vpc-0fake0000000000000',
      subnetId: 'subnet-0fake000000000000',
      availabilityZone: 'us-east-1a',
      ...instance,
    };
    this.instances.set(stored.instanceId, stored);
    return stored;
  }

  /** The instance with this id (to change its state or tags). */
  instance(instanceId: string): Ec2EndpointInstance {
    const found = this.instances.get(instanceId);
    if (!found) throw new Error(`ec2-endpoint: no instance ${instanceId}`);
    return found;
  }

  /** Forgets an instance entirely (a purged terminated instance). */
  removeInstance(instanceId: string): void {
    this.instances.delete(instanceId);
  }

  /** Answers the next `count` calls with an error (RequestLimitExceeded is HTTP 503 on EC2). */
  failNext(count: number, code: string, message: string, status = code === 'RequestLimitExceeded' ? 503 : 400): void {
    this.faults.push({ remaining: count, code, message, status });
  }

  /** Answers the next `count` calls with RequestLimitExceeded. */
  throttleNext(count: number): void {
    this.failNext(count, 'RequestLimitExceeded', 'Request limit exceeded.');
  }

  /** Stops the server. */
  close(): Promise<void> {
    return this.server.close();
  }

  private answer(action: string, params: Record<string, string>, requestId: string): string {
    const fault = this.faults.find((f) => f.remaining > 0);
    if (fault) {
      fault.remaining -= 1;
      throw new QueryApiError(fault.code, fault.message, fault.status);
    }
    if (action !== 'DescribeInstances') throw new QueryApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
    return this.describeInstances(params, parseFilters(params), requestId);
  }

  private describeInstances(params: Record<string, string>, filters: Record<string, string[]>, requestId: string): string {
    const ids = Object.entries(params)
      .filter(([k]) => /^InstanceId\.\d+$/.test(k))
      .map(([, id]) => id);
    for (const id of ids) {
      if (!this.instances.has(id)) throw new QueryApiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    }
    if (ids.length > 0 && params.MaxResults !== undefined) {
      throw new QueryApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    for (const name of Object.keys(filters)) {
      if (!name.startsWith('tag:') && !SUPPORTED_FILTERS.has(name)) throw new QueryApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
    }
    const maxResults = params.MaxResults === undefined ? undefined : Number(params.MaxResults);
    if (maxResults !== undefined && !(maxResults >= 5 && maxResults <= 1000)) {
      throw new QueryApiError('InvalidParameterValue', `Value ( ${params.MaxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
    }
    const matching = [...this.instances.values()]
      .filter((i) => ids.length === 0 || ids.includes(i.instanceId))
      .filter((i) => Object.entries(filters).every(([name, values]) => values.some((v) => wildcard(v).test(attribute(i, name) ?? '\u0000'))))
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
    const start = params.NextToken ? Number(Buffer.from(params.NextToken, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw new QueryApiError('InvalidParameterValue', 'Invalid value for nextToken');
    const size = Math.min(maxResults ?? Infinity, this.pageSize);
    const page = Number.isFinite(size) ? matching.slice(start, start + size) : matching.slice(start);
    const next = start + page.length < matching.length ? Buffer.from(String(start + page.length)).toString('base64url') : undefined;
    const reservations = page
      .map(
        (i, n) =>
          `<item><reservationId>r-${(start + n).toString(16).padStart(17, '0')}</reservationId><ownerId>111122223333</ownerId><groupSet/>` +
          `<instancesSet><item><instanceId>${i.instanceId}</instanceId><imageId>ami-0fake0000000000000</imageId>` +
          `<instanceState><code>${STATE_CODES[i.state]}</code><name>${i.state}</name></instanceState>` +
          `<privateDnsName>ip-${i.privateIp.replaceAll('.', '-')}.ec2.internal</privateDnsName>` +
          `<instanceType>t3.micro</instanceType><placement><availabilityZone>${i.availabilityZone}</availabilityZone><tenancy>default</tenancy></placement>` +
          `<subnetId>${i.subnetId}</subnetId><vpcId>${i.vpcId}</vpcId><privateIpAddress>${i.privateIp}</privateIpAddress>` +
          `<tagSet>${Object.entries(i.tags).map(([k, v]) => `<item><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></item>`).join('')}</tagSet>` +
          `</item></instancesSet></item>`,
      )
      .join('');
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="${XML_NAMESPACE}"><requestId>${requestId}</requestId>` +
      `<reservationSet>${reservations}</reservationSet>${next ? `<nextToken>${next}</nextToken>` : ''}</DescribeInstancesResponse>`
    );
  }
}

const STATE_CODES: Record<Ec2EndpointInstance['state'], number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

function attribute(instance: Ec2EndpointInstance, filter: string): string | undefined {
  if (filter.startsWith('tag:')) return instance.tags[filter.slice(4)];
  switch (filter) {
    case 'instance-id':
      return instance.instanceId;
    case 'vpc-id':
      return instance.vpcId;
    case 'subnet-id':
      return instance.subnetId;
    case 'availability-zone':
      return instance.availabilityZone;
    case 'instance-state-name':
      return instance.state;
    default:
      return undefined;
  }
}

/** EC2 filter values: `*` any run, `?` one character, everything else literal. */
function wildcard(value: string): RegExp {
  return new RegExp(`^${value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`, 's');
}

/** `Filter.N.Name` / `Filter.N.Value.M` → name → values. */
function parseFilters(params: Record<string, string>): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  for (const [key, name] of Object.entries(params)) {
    const match = /^Filter\.(\d+)\.Name$/.exec(key);
    if (!match) continue;
    const valuePattern = new RegExp(`^Filter\\.${match[1]}\\.Value\\.(\\d+)$`);
    const values = Object.entries(params)
      .flatMap(([k, value]) => {
        const index = valuePattern.exec(k)?.[1];
        return index === undefined ? [] : [{ index: Number(index), value }];
      })
      .sort((a, b) => a.index - b.index)
      .map(({ value }) => value);
    filters[name] = values;
  }
  return filters;
}

