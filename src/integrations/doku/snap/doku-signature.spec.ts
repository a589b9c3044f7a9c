import { createSign, generateKeyPairSync } from 'node:crypto';
import {
  constantTimeEquals,
  decryptAuthCode,
  encryptAuthCode,
  jakartaTimestamp,
  notificationAsymmetricStringToSign,
  parsePrivateKey,
  parsePublicKey,
  sha256Hex,
  symmetricSignature,
  symmetricStringToSign,
  tokenSignature,
  verifyNotificationAsymmetric,
  verifyNotificationSymmetric,
  verifyTokenRequestSignature,
} from './doku-signature';
import {
  THROWAWAY_AES_KEY,
  THROWAWAY_B2B_TOKEN,
  THROWAWAY_CLIENT_ID,
  THROWAWAY_CLIENT_SECRET,
  THROWAWAY_PRIVATE_KEY_PEM,
  THROWAWAY_PUBLIC_KEY_PEM,
} from '../testing/doku-test-vectors';

// The worked examples of docs/doku-integration.md#worked-examples, with their expected outputs.
const TIMESTAMP = '2024-05-21T10:15:30+07:00';

describe('DOKU signatures (worked examples)', () => {
  const privateKey = parsePrivateKey(THROWAWAY_PRIVATE_KEY_PEM);
  const publicKey = parsePublicKey(THROWAWAY_PUBLIC_KEY_PEM);

  describe(sha256Hex.name, () => {
    it('hashes the empty body and {} to their known constants', () => {
      expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      expect(sha256Hex('{}')).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    });

    it("reproduces DOKU's own VA body hash, two leading spaces included", () => {
      const body =
        '{"partnerServiceId":"  088899","customerNo":"12345678901234567890","virtualAccountNo":"  08889912345678901234567890","virtualAccountName":"Jokul Doe","virtualAccountEmail":"jokul@email.com","virtualAccountPhone":"6281828384858","trxId":"abcdefgh1234","totalAmount":{"value":"12345678.00","currency":"IDR"}}';
      expect(sha256Hex(body)).toBe('3274fab8dac896837b106a16da2a974e7e65142dcecb4b768ef0294102838977');
      expect(sha256Hex(body.replace('"  088899"', '" 088899"'))).not.toBe(sha256Hex(body));
    });
  });

  describe(symmetricSignature.name, () => {
    it('signs the Account Creation example', () => {
      const body =
        '{"partnerReferenceNo":"f1a69bce-41bc-4abd-8c5c-01910574e404","email":"jane.doe@example.com","name":"Jane Doe","phoneNo":"6281234567890","redirectUrl":"https://partner.example.com/doku/registered"}';
      const input = {
        method: 'POST',
        path: '/snap-adapter/b2b/v1.0/registration-account-creation',
        accessToken: THROWAWAY_B2B_TOKEN,
        body,
        timestamp: TIMESTAMP,
        clientSecret: THROWAWAY_CLIENT_SECRET,
      };
      expect(sha256Hex(body)).toBe('397cd3803ef00eb18476757a9772ca1e65b8091ddc9889fedf2fd93c2b19b8e8');
      expect(symmetricStringToSign(input)).toBe(
        'POST:/snap-adapter/b2b/v1.0/registration-account-creation:eyJhbGciOiJSUzI1NiJ9.example.b2b-token:397cd3803ef00eb18476757a9772ca1e65b8091ddc9889fedf2fd93c2b19b8e8:2024-05-21T10:15:30+07:00',
      );
      expect(symmetricSignature(input)).toBe('9mHS33KwoCPaIE7FYcrsXdfAzx+ZYczcMhM6Oh8kGWITMvQjEsNBT87+Bk7fHl0FdmxKMpdncdfGOIbK92Hm2A==');
    });

    it('signs the Balance Inquiry example (a B2B2C call) with the B2B token', () => {
      const input = {
        method: 'post',
        path: '/snap-adapter/b2b2c/v1.0/balance-inquiry',
        accessToken: THROWAWAY_B2B_TOKEN,
        body: '{"partnerReferenceNo":"BAL-20240521-0001","additionalInfo":{}}',
        timestamp: TIMESTAMP,
        clientSecret: THROWAWAY_CLIENT_SECRET,
      };
      expect(sha256Hex(input.body)).toBe('cffce4d9de3dc9bd16497410563449210b2cca7f0d053075c7c40123b0778229');
      expect(symmetricStringToSign(input)).toBe(
        'POST:/snap-adapter/b2b2c/v1.0/balance-inquiry:eyJhbGciOiJSUzI1NiJ9.example.b2b-token:cffce4d9de3dc9bd16497410563449210b2cca7f0d053075c7c40123b0778229:2024-05-21T10:15:30+07:00',
      );
      expect(symmetricSignature(input)).toBe('ujeCjofMU1yqVvjiR70VCO2JEO0Aa3v2kZOt85uCNxoCKDWcPC6gj3rZfMittEiiDYZHWC31+3L6BZixGyk8YA==');
    });
  });

  describe(tokenSignature.name, () => {
    it('reproduces the deterministic SHA256withRSA token-request example', () => {
      expect(tokenSignature(THROWAWAY_CLIENT_ID, TIMESTAMP, privateKey)).toBe(
        'RDufO3UHwi0eRlNfnSy7PI5drvrkhBMkD9OjC/ekqbOTrtzTy3isKgAIFE8LNn7oR6WOLnBN4pY3HD72Ca3a0+CFsd3XnsQvxWaefxT2kFZYTUztg6zyDs0FIh2IkdndgN93kba7SAsosp5cWw9R+yOkndY13FRnU3M9WaL4wpaOuP+jRZ/UpwGZ1i/HHPgezHvK0azIkE6++WQnggZlacTGMpKPcCeJNz8ZDgGpOw0YRsH4Ba/Z0DiFLG+zwV3nZ449jdRKzNxMgbUnIvPGGEff0zuManW7uxCXC/l/S4utmWWYZxluLFSdyTSZAyz1KEJMqjfJiBXmL2lvABhS6A==',
      );
    });
  });

  describe(verifyTokenRequestSignature.name, () => {
    const signature = tokenSignature(THROWAWAY_CLIENT_ID, TIMESTAMP, privateKey);

    it("accepts DOKU's RSA signature over clientId|timestamp", () => {
      expect(verifyTokenRequestSignature(THROWAWAY_CLIENT_ID, TIMESTAMP, signature, publicKey)).toBe(true);
    });

    it('rejects another timestamp, another key, and garbage', () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
      expect(verifyTokenRequestSignature(THROWAWAY_CLIENT_ID, '2024-05-21T10:15:31+07:00', signature, publicKey)).toBe(false);
      expect(verifyTokenRequestSignature(THROWAWAY_CLIENT_ID, TIMESTAMP, signature, other)).toBe(false);
      expect(verifyTokenRequestSignature(THROWAWAY_CLIENT_ID, TIMESTAMP, 'not base64 !!', publicKey)).toBe(false);
      expect(verifyTokenRequestSignature(THROWAWAY_CLIENT_ID, TIMESTAMP, '', publicKey)).toBe(false);
    });
  });

  describe('notifications (worked example)', () => {
    const rawBody =
      '{"originalPartnerReferenceNo":"PUR-20240521-0001","originalReferenceNo":"DOKU-REF-0001","amount":{"value":"150000.00","currency":"IDR"},"latestTransactionStatus":"00","transactionStatusDesc":"SUCCESS","additionalInfo":{}}';
    const timestamp = '2024-05-21T10:20:00+07:00';
    const path = '/partner/doku/notify';
    const symmetric = 'wQZIOdrFYd7ij0xaAB8YGk0o3E8Nf+NkXTrkehM2qbjB3vxYmc8mxVXtugZopBDniGlLql7hVYds61Kl+UAsnQ==';
    const asymmetric =
      'fc+DUVFtOmGjqpPiKPaw4yA8uqft7hP0quNAXv7YADGlObh59CsBGRg3eZr1p3ODAjJMIp1d1daM2jam19exkYvYflHETOq9yW5dE5LBXYnmuI+QGeUnYJBAlNouQzMa5VbYY8nlvJfrQeBLWb6DNb7aPe3e8OK8OzV01Dvzq4MZgCfcdeMZgMCosaqp/0SRyIyVc+W8whNIOpypmLG/aiPm0m8t+8MC5oJ/13RVIQ6Z2jtH64lrVQR8/xDqnxOYhhazHBQv0CGNhRYmdyq57mc9Y2C2hzic8vX/Qn6mbquDoa4TjIPEuTpi4jCsAF8+ILizRLqBlwLoo4uaxOfcZQ==';

    it('hashes the notification body to the expected value', () => {
      expect(sha256Hex(rawBody)).toBe('658014a51cc48c7703a731b03677f5d2ec516845546bcc634775d42ea8cd129c');
    });

    describe(verifyNotificationSymmetric.name, () => {
      const base = {
        path,
        bearerToken: 'partner-issued-b2b-token-for-doku',
        rawBody,
        timestamp,
        signature: symmetric,
        clientSecret: THROWAWAY_CLIENT_SECRET,
      };

      it('accepts the expected HMAC signature', () => {
        expect(verifyNotificationSymmetric(base)).toBe(true);
      });

      it('rejects a tampered byte, a pretty-printed body, another token and a lower-cased signature', () => {
        expect(verifyNotificationSymmetric({ ...base, rawBody: rawBody.replace('150000', '150001') })).toBe(false);
        expect(verifyNotificationSymmetric({ ...base, rawBody: JSON.stringify(JSON.parse(rawBody), null, 2) })).toBe(false);
        expect(verifyNotificationSymmetric({ ...base, bearerToken: 'another-token' })).toBe(false);
        expect(verifyNotificationSymmetric({ ...base, signature: symmetric.toLowerCase() })).toBe(false);
      });
    });

    describe(verifyNotificationAsymmetric.name, () => {
      const base = { path, rawBody, timestamp, signature: asymmetric, dokuPublicKey: publicKey };

      it('builds the expected string to sign', () => {
        expect(notificationAsymmetricStringToSign(path, rawBody, timestamp)).toBe(
          'POST:/partner/doku/notify:658014a51cc48c7703a731b03677f5d2ec516845546bcc634775d42ea8cd129c:2024-05-21T10:20:00+07:00',
        );
      });

      it('accepts the expected RSA signature', () => {
        expect(verifyNotificationAsymmetric(base)).toBe(true);
      });

      it('equals a fresh signature of the same string (PKCS#1 v1.5 is deterministic)', () => {
        const fresh = createSign('RSA-SHA256')
          .update(notificationAsymmetricStringToSign(path, rawBody, timestamp), 'utf8')
          .sign(privateKey, 'base64');
        expect(fresh).toBe(asymmetric);
      });

      it('rejects a tampered body, another path and the HMAC signature', () => {
        expect(verifyNotificationAsymmetric({ ...base, rawBody: `${rawBody} ` })).toBe(false);
        expect(verifyNotificationAsymmetric({ ...base, path: '/other' })).toBe(false);
        expect(verifyNotificationAsymmetric({ ...base, signature: symmetric })).toBe(false);
      });
    });
  });

  describe(constantTimeEquals.name, () => {
    it('is exact and case-sensitive', () => {
      expect(constantTimeEquals('abc=', 'abc=')).toBe(true);
      expect(constantTimeEquals('abc=', 'ABC=')).toBe(false);
      expect(constantTimeEquals('abc=', 'abc')).toBe(false);
      expect(constantTimeEquals('', '')).toBe(true);
    });
  });

  describe(decryptAuthCode.name, () => {
    const ciphertext = 'Bjgydwaf0YJeJKK2d1HSiupxwd9n76i9PtJRaFKGgNBIUaEv+pd0oak6aqfJMc/7';

    it('decrypts the example authCode with the AES-128 throwaway key', () => {
      expect(decryptAuthCode(ciphertext, THROWAWAY_AES_KEY)).toBe('cfb5de1a-6a40-40e0-8549-0634bcaed8ed');
    });

    it('encrypts back to the expected ciphertext', () => {
      expect(encryptAuthCode('cfb5de1a-6a40-40e0-8549-0634bcaed8ed', THROWAWAY_AES_KEY)).toBe(ciphertext);
    });

    it('selects AES-192 and AES-256 from the key length', () => {
      for (const key of ['ThrowawayAesKey1ThrowAwa', 'ThrowawayAesKey1ThrowawayAesKey2']) {
        expect(decryptAuthCode(encryptAuthCode('auth-code-1', key), key)).toBe('auth-code-1');
      }
    });

    it('refuses other key lengths and a wrong key', () => {
      expect(() => decryptAuthCode(ciphertext, 'short')).toThrow('16, 24 or 32 bytes');
      expect(() => decryptAuthCode(ciphertext, 'WrongAesKey00000')).toThrow();
    });
  });

  describe(jakartaTimestamp.name, () => {
    it('renders UTC instants in +07:00 without milliseconds', () => {
      expect(jakartaTimestamp(new Date('2024-05-21T03:15:30.999Z'))).toBe(TIMESTAMP);
    });

    it('rolls the date over at Jakarta midnight, not UTC midnight', () => {
      expect(jakartaTimestamp(new Date('2024-12-31T17:00:00Z'))).toBe('2025-01-01T00:00:00+07:00');
      expect(jakartaTimestamp(new Date('2024-12-31T16:59:59Z'))).toBe('2024-12-31T23:59:59+07:00');
    });
  });
});
