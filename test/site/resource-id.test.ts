import { parseSite } from '../../lib/site';
import { exampleWith, problemsAfter } from './fixtures';

describe('services[].id and viewer.id (resource ids)', () => {
  it('is optional: the label names the resources of a site that gives none', () => {
    const site = parseSite(exampleWith(() => undefined));
    expect(site.services.map((service) => service.id)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('keeps an id apart from a restyled label', () => {
    const site = parseSite(exampleWith((raw) => Object.assign(raw.services[1], { label: 'HL7-Engine', id: 'HL7' })));
    expect(site.services[1]).toMatchObject({ label: 'HL7-Engine', id: 'HL7' });
  });

  it('must be unique among the resource ids, case-insensitively, naming both owners', () => {
    expect(
      problemsAfter((raw) => {
        raw.services[1].id = 'dicom-modalities';
        raw.viewer.id = 'XDS-Registry';
        raw.services[3].id = 'bad id!';
      }),
    ).toEqual([
      {
        path: 'services[1].id',
        message: 'dicom-modalities is already the resource id of DICOM-Modalities (its label); resource ids must be unique (case-insensitive: they name the CloudFormation resources)',
      },
      { path: 'services[3].id', message: 'must be 1–32 letters, digits or "-" (got "bad id!")' },
      {
        path: 'viewer.id',
        message: 'XDS-Registry is already the resource id of XDS-Registry (its label); resource ids must be unique (case-insensitive: they name the CloudFormation resources)',
      },
    ]);
  });

  it('lets a renamed service keep the old label as its id', () => {
    expect(problemsAfter((raw) => Object.assign(raw.services[0], { label: 'PACS-Modalities', id: 'DICOM-Modalities' }))).toEqual([]);
  });
});
