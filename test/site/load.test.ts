import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleSite, loadSiteFile, parseSite, SiteFileError, SiteValidationError } from '../../lib/site';
import { SITE_JSON_SCHEMA_PATH, siteJsonSchemaText } from '../../lib/site/json-schema';

const examplesDir = join(__dirname, '..', '..', 'examples');
const exampleJsonPath = join(examplesDir, 'example-site.json');
const invalidJsonPath = join(examplesDir, 'invalid-site.json');

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('examples/example-site.json', () => {
  it('is the TypeScript example site (plus the editor $schema reference)', () => {
    const { $schema, ...json } = JSON.parse(readFileSync(exampleJsonPath, 'utf8'));
    expect($schema).toBe('./site.schema.json');
    expect(json).toEqual(exampleSite);
  });

  it('loads to the same site as parsing the TypeScript example', () => {
    expect(loadSiteFile(exampleJsonPath)).toEqual(parseSite(exampleSite));
  });
});

describe('examples/invalid-site.json', () => {
  const error = errorOf(() => loadSiteFile(invalidJsonPath)) as SiteValidationError;

  it('reports every problem at once, naming the file', () => {
    expect(error).toBeInstanceOf(SiteValidationError);
    expect(error.problems.length).toBeGreaterThanOrEqual(30);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(`${invalidJsonPath}: the site definition has ${error.problems.length} problems:`);
    expect(lines).toHaveLength(error.problems.length + 1);
  });

  it.each([
    ['name', /may contain only letters, digits and "-"/],
    ['services[0].realServers[0].minConnections', /not offered by AWS Network Load Balancers/],
    ['services[0].persistenceTimeoutSeconds', /no duration/],
    ['services[0].realServers[1].weight', /NLB has no per-target weight/],
    ['services[0].realServers[1].ip', /preserves the client IP only for targets in the VPC/],
    ['services[0].healthCheck.calledAeTitle', /is not a DICOM AE title/],
    ['services[0].ports[1].port', /already a listener port/],
    ['services[1].vip', /a VIP belongs to one service/],
    ['services[1].realServers[1].ip', /cannot be registered/],
    ['services[2].vip[0]', /not in any subnet of the VPC/],
    ['services[2].vip[1]', /a VIP cannot be a real server/],
    ['services[3].label', /labels must be unique/],
    ['viewer.sslPolicy', /ELBSecurityPolicy-2016-08 allow TLS 1\.0/],
    ['viewer.certificateArn', /not the site's region eu-west-2/],
  ])('includes %s', (path, message) => {
    expect(error.problems.filter((problem) => problem.path === path).map((problem) => problem.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(message)]),
    );
  });
});

describe('loadSiteFile errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'medlb-site-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names a missing file', () => {
    const path = join(dir, 'missing.json');
    const error = errorOf(() => loadSiteFile(path));
    expect(error).toBeInstanceOf(SiteFileError);
    expect(error.message).toBe(`${path}: cannot read the site file: no such file`);
  });

  it('names a directory given as a file', () => {
    const error = errorOf(() => loadSiteFile(dir));
    expect(error).toBeInstanceOf(SiteFileError);
    expect(error.message).toBe(`${dir}: cannot read the site file: is a directory, not a site file`);
  });

  it('names a file that is not JSON, with the parser position', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "name": "x", }');
    const error = errorOf(() => loadSiteFile(path)) as SiteFileError;
    expect(error).toBeInstanceOf(SiteFileError);
    expect(error.file).toBe(path);
    expect(error.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: is not valid JSON: .*position 15`));
  });

  it('reports a JSON document that is not a site object', () => {
    const path = join(dir, 'array.json');
    writeFileSync(path, '[]');
    const error = errorOf(() => loadSiteFile(path)) as SiteValidationError;
    expect(error).toBeInstanceOf(SiteValidationError);
    expect(error.problems).toEqual([{ path: 'site', message: 'must be an object' }]);
  });
});

describe('examples/site.schema.json', () => {
  it('is current (regenerate: npx tsx -e "require(\'./lib/site/json-schema\').writeSiteJsonSchema()")', () => {
    expect(readFileSync(SITE_JSON_SCHEMA_PATH, 'utf8')).toBe(siteJsonSchemaText());
  });

  it('describes the fields and keeps unknown keys out', () => {
    const schema = JSON.parse(siteJsonSchemaText());
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'env', 'network', 'allowedClientCidrs']));
    expect(schema.additionalProperties).toBe(false);
    const service = schema.properties.services.items;
    expect(service.properties.idleTimeoutSeconds).toMatchObject({ default: 3600, minimum: 60, maximum: 6000 });
    expect(service.properties.realServers.items.properties).not.toHaveProperty('minConnections');
  });
});

describe('TypeScript site modules', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'medlb-site-ts-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('examples/example-site.ts (a default export typed SiteInput) is the example site', () => {
    expect(loadSiteFile(join(examplesDir, 'example-site.ts'))).toEqual(parseSite(exampleSite));
  });

  it('a named `site` export works too, and its problems are listed with the file name', () => {
    const path = join(dir, 'named.ts');
    writeFileSync(path, `export const site = { name: 'bad name!', env: { region: 'eu-west-2' } };\n`);
    const error = errorOf(() => loadSiteFile(path)) as SiteValidationError;
    expect(error).toBeInstanceOf(SiteValidationError);
    expect(error.message.split('\n')[0]).toContain(path);
    expect(error.problems).toContainEqual({ path: 'name', message: expect.stringContaining('(got "bad name!")') });
  });

  it('a module without a site export is named', () => {
    const path = join(dir, 'empty.ts');
    writeFileSync(path, 'export const somethingElse = 1;\n');
    expect(errorOf(() => loadSiteFile(path)).message).toBe(
      `${path}: exports no site: use \`export default site\` or \`export const site: SiteInput = {...}\``,
    );
  });

  it('a module that fails to load is named with the first line of its error', () => {
    const path = join(dir, 'throws.ts');
    writeFileSync(path, "throw new Error('no site today');\n");
    const error = errorOf(() => loadSiteFile(path));
    expect(error).toBeInstanceOf(SiteFileError);
    expect(error.message).toBe(`${path}: cannot load the site module: no site today`);
  });

  it('a missing module is named', () => {
    const path = join(dir, 'missing.ts');
    expect(errorOf(() => loadSiteFile(path)).message).toBe(`${path}: cannot read the site file: no such file`);
  });
});
