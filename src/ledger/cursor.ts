import { NotifydError } from '../domain/errors.js';

/**
 * Opaque page cursors: base64url of the last item's sort key. Decoding checks
 * that the cursor re-encodes to itself, so a mangled cursor is a 400, not a
 * silently different page.
 */

export function encodeIdCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeIdCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (id.length === 0 || encodeIdCursor(id) !== cursor) throw invalidCursor();
  return id;
}

export interface DeadLetterPosition {
  deadAt: number;
  id: string;
}

export function encodeDeadLetterCursor(position: DeadLetterPosition): string {
  return Buffer.from(JSON.stringify([position.deadAt, position.id]), 'utf8').toString('base64url');
}

export function decodeDeadLetterCursor(cursor: string): DeadLetterPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !Number.isSafeInteger(parsed[0]) ||
    typeof parsed[1] !== 'string' ||
    parsed[1].length === 0
  ) {
    throw invalidCursor();
  }
  const position = { deadAt: parsed[0] as number, id: parsed[1] };
  if (encodeDeadLetterCursor(position) !== cursor) throw invalidCursor();
  return position;
}

function invalidCursor(): NotifydError {
  return new NotifydError('validation_failed', 'cursor: not a cursor returned by this endpoint', { field: 'cursor' });
}
