import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { NotifydError } from '../../../src/domain/errors.js';
import { createSigner, decodeSecret, signatureHeaders } from '../../../src/sender/signing.js';

// The example secret of the Standard Webhooks specification.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OLD = 'whsec_c2VjcmV0LWZyb20tbGFzdC15ZWFy';

describe('signatureHeaders', () => {
  const message = { id: 'ntf_01J9Z', timestampSeconds: 1_700_000_000, body: '{"trade_status":"TRADE_SUCCESS"}' };

  it('produces the same v1 signature as the standardwebhooks library', () => {
    const headers = signatureHeaders({ secret: SECRET, previousSecrets: [] }, message);
    const expected = new Webhook(SECRET).sign(message.id, new Date(message.timestampSeconds * 1000), message.body);
    expect(headers).toEqual({ 'webhook-id': message.id, 'webhook-timestamp': '1700000000', 'webhook-signature': expected });
  });

  it('signs with the current secret first, then each previous one', () => {
    const headers = signatureHeaders({ secret: SECRET, previousSecrets: [OLD] }, message);
    const when = new Date(message.timestampSeconds * 1000);
    expect(headers['webhook-signature']).toBe(
      `${new Webhook(SECRET).sign(message.id, when, message.body)} ${new Webhook(OLD).sign(message.id, when, message.body)}`,
    );
  });

  it('omits the signature without a secret', () => {
    expect(signatureHeaders({ secret: null, previousSecrets: [] }, message)).toEqual({
      'webhook-id': message.id,
      'webhook-timestamp': '1700000000',
    });
  });

  it('signs the exact body: non-ASCII bytes included', () => {
    const sign = createSigner({ secret: SECRET, previousSecrets: [] });
    const body = '{"buyer":"张三","amount":"¥12.50"}';
    const headers = sign('ntf_x', 1_700_000_000, body);
    expect(headers['webhook-signature']).toBe(new Webhook(SECRET).sign('ntf_x', new Date(1_700_000_000_000), body));
  });
});

describe('decodeSecret', () => {
  it('accepts whsec_<base64> and bare base64', () => {
    expect(decodeSecret(SECRET)).toEqual(decodeSecret(SECRET.slice('whsec_'.length)));
  });

  it.each(['whsec_', 'whsec_!!!', ''])('rejects %j with config_invalid naming the key', (bad) => {
    expect(() => createSigner({ secret: SECRET, previousSecrets: [bad] })).toThrow(NotifydError);
    try {
      createSigner({ secret: SECRET, previousSecrets: [bad] });
    } catch (error) {
      expect((error as NotifydError).code).toBe('config_invalid');
      expect((error as NotifydError).field).toBe('signing.previousSecrets.0');
    }
  });
});
