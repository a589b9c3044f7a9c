import { createHmac } from 'node:crypto';
import { generateWebhookSecret, signWebhook } from './webhook-signature';

describe('Standard Webhooks signature', () => {
  it('matches the reference vector of the Standard Webhooks specification', () => {
    const signature = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('changes with the id, the timestamp and every byte of the body', () => {
    const secret = generateWebhookSecret();
    const base = signWebhook(secret, 'id-1', 1700000000, '{"a":1}');
    expect(signWebhook(secret, 'id-2', 1700000000, '{"a":1}')).not.toBe(base);
    expect(signWebhook(secret, 'id-1', 1700000001, '{"a":1}')).not.toBe(base);
    expect(signWebhook(secret, 'id-1', 1700000000, '{"a":2}')).not.toBe(base);
  });

  it('generates whsec_ secrets of 32 random bytes, keyed by their decoded bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(generateWebhookSecret()).not.toBe(secret);
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    expect(key).toHaveLength(32);
    const expected = createHmac('sha256', key).update('id.1.body').digest('base64');
    expect(signWebhook(secret, 'id', 1, 'body')).toBe(`v1,${expected}`);
  });
});
