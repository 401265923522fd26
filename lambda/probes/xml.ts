/**
 * A small namespace-aware view of an XML document, built on fast-xml-parser (a real parser: well-formedness is
 * checked by its validator first). Elements are matched by namespace URI and local name, never by prefix, so
 * `<s:Envelope>`, `<soap:Envelope>` and `<Envelope xmlns="...">` are the same element.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { printable, ProbeFailure } from './probe-failure';

/** The document is not usable XML (not well formed, DTD, unbound prefix, too deep). */
export class XmlDocumentError extends ProbeFailure {
  constructor(reason: string) {
    super(reason);
    this.name = 'XmlDocumentError';
  }
}

/** One element with resolved names. */
export interface XmlElement {
  /** Namespace URI, or undefined for no namespace. */
  readonly ns: string | undefined;
  readonly local: string;
  /** Attributes by local name (namespace declarations excluded). */
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Concatenated text content directly inside this element. */
  readonly text: string;
}

/** Deepest nesting accepted: SOAP responses are shallow; deeper input is hostile. */
const MAX_DEPTH = 64;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type RawNode = Record<string, unknown>;

/** Parses `text` into its root element. Throws XmlDocumentError, and nothing else, for any input. */
export function parseXmlDocument(text: string): XmlElement {
  // SOAP forbids a DTD (SOAP 1.2 part 1 §5); refusing it also rules out entity-expansion attacks.
  if (text.includes('<!DOCTYPE')) throw new XmlDocumentError('XML with a DTD (not allowed in SOAP)');
  let raw: unknown;
  try {
    const validation = XMLValidator.validate(text);
    if (validation !== true) {
      const { msg, line } = validation.err;
      throw new XmlDocumentError(`not well-formed XML: ${printable(msg)} (line ${line})`);
    }
    raw = parser.parse(text);
  } catch (err) {
    if (err instanceof XmlDocumentError) throw err;
    throw new XmlDocumentError(`not well-formed XML: ${printable(err instanceof Error ? err.message : String(err))}`);
  }
  const roots = elementNodes(raw);
  const [root] = roots;
  if (root === undefined || roots.length !== 1) throw new XmlDocumentError(`XML document has ${roots.length} root elements`);
  return toElement(root, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]), 0);
}

function isRawNode(value: unknown): value is RawNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function elementNodes(list: unknown): RawNode[] {
  if (!Array.isArray(list)) return [];
  return list.filter((node: unknown): node is RawNode => isRawNode(node) && Object.keys(node).some((key) => key !== ':@' && key !== '#text'));
}

function toElement(node: RawNode, outerScope: ReadonlyMap<string, string>, depth: number): XmlElement {
  if (depth > MAX_DEPTH) throw new XmlDocumentError(`XML nested deeper than ${MAX_DEPTH} levels`);
  // elementNodes() keeps only nodes with a key other than ':@' and '#text': the element's name.
  const qname = Object.keys(node).find((key) => key !== ':@') ?? '';
  const attributeNode = node[':@'];
  const rawAttributes: RawNode = isRawNode(attributeNode) ? attributeNode : {};
  const scope = new Map(outerScope);
  for (const [name, value] of Object.entries(rawAttributes)) {
    if (name === 'xmlns') scope.set('', String(value));
    else if (name.startsWith('xmlns:')) scope.set(name.slice(6), String(value));
  }
  const { prefix, local } = splitQName(qname);
  const ns = scope.get(prefix);
  if (prefix && ns === undefined) throw new XmlDocumentError(`undeclared namespace prefix "${printable(prefix, 40)}"`);
  const attributes = new Map<string, string>();
  for (const [name, value] of Object.entries(rawAttributes)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    attributes.set(splitQName(name).local, String(value));
  }
  const content = node[qname];
  const children: XmlElement[] = [];
  let text = '';
  if (Array.isArray(content)) {
    for (const child of content) {
      if (!isRawNode(child)) continue;
      const childNode = child;
      if ('#text' in childNode && Object.keys(childNode).length === 1) text += String(childNode['#text']);
      else children.push(toElement(childNode, scope, depth + 1));
    }
  }
  return { ns: ns === '' ? undefined : ns, local, attributes, children, text };
}

function splitQName(qname: string): { prefix: string; local: string } {
  const colon = qname.indexOf(':');
  return colon === -1 ? { prefix: '', local: qname } : { prefix: qname.slice(0, colon), local: qname.slice(colon + 1) };
}

/** Children of `element` with this namespace and local name. */
export function childrenNamed(element: XmlElement | undefined, ns: string, local: string): XmlElement[] {
  return element ? element.children.filter((child) => child.ns === ns && child.local === local) : [];
}

/** The first child with this namespace and local name. */
export function childNamed(element: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return element?.children.find((child) => child.ns === ns && child.local === local);
}

/** Every descendant (depth first) with this namespace and local name. */
export function descendantsNamed(element: XmlElement, ns: string, local: string): XmlElement[] {
  const found: XmlElement[] = [];
  const stack = [...element.children].reverse();
  while (stack.length > 0) {
    const next = stack.pop();
    if (next === undefined) break;
    if (next.ns === ns && next.local === local) found.push(next);
    stack.push(...[...next.children].reverse());
  }
  return found;
}

/** Escapes text for element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[char]};`);
}
