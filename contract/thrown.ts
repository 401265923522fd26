/**
 * How a thrown value is described in a message, the same way on both sides. Properties are read by name, not
 * through `instanceof Error`: errors raised by Node's core modules under jest come from another realm and fail
 * instanceof, and a thrown value need not be an Error at all.
 */

/** The thrown value's `message`, or the value as text. */
export function messageOf(thrown: unknown): string {
  const message = propertyOf(thrown, 'message');
  return typeof message === 'string' ? message : String(thrown);
}

/** The thrown value's string `code` (a Node.js system error's `ENOENT`, ...), if it has one. */
export function codeOf(thrown: unknown): string | undefined {
  const code = propertyOf(thrown, 'code');
  return typeof code === 'string' ? code : undefined;
}

/** A property of a thrown object, or undefined. */
export function propertyOf(thrown: unknown, name: string): unknown {
  return typeof thrown === 'object' && thrown !== null ? Reflect.get(thrown, name) : undefined;
}
