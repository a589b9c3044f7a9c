import { createPrivateKey, createPublicKey } from 'node:crypto';
import { encryptAuthCode, rsaSignBase64, rsaVerifyBase64, sha256Hex, symmetricSignature, verifySymmetric } from '../src/crypto';
import { aesEcbDecrypt, bodyHash, rsaVerify, snapSymmetric, snapTokenSignature } from './support/signing';

// The worked examples of docs/doku-integration.md#worked-examples. Each is checked twice: with the tests' own signing code
// and with the simulator's verifier, so neither can drift from the expected values unnoticed.
const SECRET = 'SK-ThrowawayExampleSecret01';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.example.b2b-token';
const TS = '2024-05-21T10:15:30+07:00';

const THROWAWAY_PRIVATE = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDMtZZrhvZhl0WN
lTvrS0TjdMu51tnD8X7HzpWEVQO7Is7/aNaOgpOvRNK/W/lCdJziwYuFKwjbCTv7
bvIxWUkwwz4a62GgcjBjzcwREvx1W4/QrFSg6m+k8pvPKxM15Xof/1Q3dd2HrWQU
2BRWbVfS9v3idOGOQkHyLxqONjzD0iehESGLazbzHNnzjb7tPVHA8dKadK+FocP+
kYqMaz9WNMqCkJ/jdYyyokqQsGhKOu3XUOit2aUuW1DhGKOQUhI3v4Qzd4uD0PzH
XPWyaH+tQU8SARNUvUF9nREEVfT+b3AHGavgqa+597Q2htoHY7dFGny8Xj6byk4R
fGC3GZAlAgMBAAECggEAVSucCOLfMZ1hl9WmV3A6mjQm6wwkEG0ypWkjNiq04bBK
1WNGGYbkcUC+OlXG8EpaV9HU/bP4/EDsTuFLLRML65jgBw010i6QSYX/SH9QwHc2
78gzcbv4dXVnNBuk44C1fgiafnSwldmjUTTRyV+28ZRH72dXzPtuOpg0gUS5pXLU
EVMFCTMSTWBYN4XQ6IygYTLCEfzyohxLJ6tvkY/oLs5a7EwQj6gk1k7/HGIiGFuu
3BM4BlLTUckozwoqDINVMtF0nx8IA1GfdsJiMrrj0wT+sZkQmIIxCyLu6Oj5WZzb
9ICHvEDjqev82QVqSi79QtGXW/JVUDjp9hUJ4ZVlBQKBgQD81lRpIbY+IuOQizOt
bd9N7aOcgMf1dXkY0neAQGYffsMSDVuEu2bNtBx9d+S/Y+zxSVQRPBpCaE7gPDJW
fdg/c9dSxkvETAuepL4QTi81aSPbQWBPrRaMPvw6ftqrbfR+drhIc3i0P0h+U92V
m4B7barG/skt+lJrmhE0ek3YswKBgQDPRSLT62jyiZ16CsGVW4aaShRzLP8Rl8Tf
0vhGxOm9eFnd1leoWG4+Hxy4NoSG5hTV+p9zrPHCXO3Mn20hZjWlTda3eNW/tCLj
1dKz9ZGHWXKekxtD8fupHIdpwWkNW+IU9Ky4eIlNUl90x6D7y3FMZ6gYrq92n6ne
NqV8aR3vxwKBgQCtkX01Bt2S3mSWT9lUD38igia1Q3sBuHk/XwyGUK9Ko7zKYb0X
64ZxZFnCkFHKSZDZO1uo0Te9qtmq+egclBulw6JnwpU01neLmtCXZPTnl5vz4nd5
evtln7+LcJYw5TTYtCtiIVMVefQMNQqCr9ON6AU6wqHdHGEEWSnCesuCHQKBgDKi
RxHSLn8hkzDfM89S3p0Of9RrJ5yaoOO03CYdsKQypHGHDT7462WNoCx4VQPHbUug
wBc4Jo8+uHEGeVhxaaWKUGvdvwnn7aYO9Dw2P2j7Nv76HO0KTlpPt9zj/M/gpGhO
JWujNpeHCf6zTeZ1GqZ5pBzzf7XQ52R7oQ21eDS9AoGAGrmBhAoXHrQCwGJPzGHt
dMK3cet+3/XMR4rY9RYToAsUlWW9fpAM0zLYJM1szpaGo76PZ2X7EF1c7Y+80BHO
Fsxa7NnJZRuWaN3yzO+3p/jCYb+fXGyYlBpIC+Uv3xLlAJqxkWmNrCRKOhqqB/ey
Oj3XKDi2DmDcXOU1J8weHec=
-----END PRIVATE KEY-----
`;

const THROWAWAY_PUBLIC = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzLWWa4b2YZdFjZU760tE
43TLudbZw/F+x86VhFUDuyLO/2jWjoKTr0TSv1v5QnSc4sGLhSsI2wk7+27yMVlJ
MMM+GuthoHIwY83MERL8dVuP0KxUoOpvpPKbzysTNeV6H/9UN3Xdh61kFNgUVm1X
0vb94nThjkJB8i8ajjY8w9InoREhi2s28xzZ842+7T1RwPHSmnSvhaHD/pGKjGs/
VjTKgpCf43WMsqJKkLBoSjrt11DordmlLltQ4RijkFISN7+EM3eLg9D8x1z1smh/
rUFPEgETVL1BfZ0RBFX0/m9wBxmr4Kmvufe0NobaB2O3RRp8vF4+m8pOEXxgtxmQ
JQIDAQAB
-----END PUBLIC KEY-----
`;

const TOKEN_SIGNATURE =
  'RDufO3UHwi0eRlNfnSy7PI5drvrkhBMkD9OjC/ekqbOTrtzTy3isKgAIFE8LNn7oR6WOLnBN4pY3HD72Ca3a0+CFsd3XnsQvxWaefxT2kFZYTUztg6zyDs0FIh2IkdndgN93kba7SAsosp5cWw9R+yOkndY13FRnU3M9WaL4wpaOuP+jRZ/UpwGZ1i/HHPgezHvK0azIkE6++WQnggZlacTGMpKPcCeJNz8ZDgGpOw0YRsH4Ba/Z0DiFLG+zwV3nZ449jdRKzNxMgbUnIvPGGEff0zuManW7uxCXC/l/S4utmWWYZxluLFSdyTSZAyz1KEJMqjfJiBXmL2lvABhS6A==';

describe('SNAP signatures against the worked examples', () => {
  const creationBody =
    '{"partnerReferenceNo":"f1a69bce-41bc-4abd-8c5c-01910574e404","email":"jane.doe@example.com","name":"Jane Doe","phoneNo":"6281234567890","redirectUrl":"https://partner.example.com/doku/registered"}';
  const creationPath = '/snap-adapter/b2b/v1.0/registration-account-creation';
  const creationSig = '9mHS33KwoCPaIE7FYcrsXdfAzx+ZYczcMhM6Oh8kGWITMvQjEsNBT87+Bk7fHl0FdmxKMpdncdfGOIbK92Hm2A==';

  it('2.9.1 Account Creation: body hash and HMAC-SHA512 signature', () => {
    expect(bodyHash(creationBody)).toBe('397cd3803ef00eb18476757a9772ca1e65b8091ddc9889fedf2fd93c2b19b8e8');
    expect(snapSymmetric({ method: 'POST', path: creationPath, token: TOKEN, body: creationBody, timestamp: TS, secret: SECRET })).toBe(
      creationSig,
    );
    expect(
      symmetricSignature({
        method: 'POST',
        path: creationPath,
        token: TOKEN,
        body: Buffer.from(creationBody),
        timestamp: TS,
        secret: SECRET,
      }),
    ).toBe(creationSig);
    expect(
      verifySymmetric(
        { method: 'POST', path: creationPath, token: TOKEN, body: Buffer.from(creationBody), timestamp: TS, secret: SECRET },
        creationSig,
      ),
    ).toBe(true);
  });

  it('the simulator verifier rejects a one-byte body change, a case change and a wrong path', () => {
    const base = { method: 'POST', path: creationPath, token: TOKEN, timestamp: TS, secret: SECRET };
    expect(verifySymmetric({ ...base, body: Buffer.from(creationBody.replace('Jane Doe', 'Jane Dof')) }, creationSig)).toBe(false);
    expect(verifySymmetric({ ...base, body: Buffer.from(creationBody) }, creationSig.toLowerCase())).toBe(false);
    expect(
      verifySymmetric({ ...base, path: creationPath.replace('/snap-adapter', ''), body: Buffer.from(creationBody) }, creationSig),
    ).toBe(false);
  });

  it('2.9.2 Balance Inquiry is signed with the B2B token', () => {
    const body = '{"partnerReferenceNo":"BAL-20240521-0001","additionalInfo":{}}';
    const path = '/snap-adapter/b2b2c/v1.0/balance-inquiry';
    const sig = 'ujeCjofMU1yqVvjiR70VCO2JEO0Aa3v2kZOt85uCNxoCKDWcPC6gj3rZfMittEiiDYZHWC31+3L6BZixGyk8YA==';
    expect(bodyHash(body)).toBe('cffce4d9de3dc9bd16497410563449210b2cca7f0d053075c7c40123b0778229');
    expect(snapSymmetric({ method: 'POST', path, token: TOKEN, body, timestamp: TS, secret: SECRET })).toBe(sig);
    expect(verifySymmetric({ method: 'POST', path, token: TOKEN, body: Buffer.from(body), timestamp: TS, secret: SECRET }, sig)).toBe(true);
  });

  it("handy constants and DOKU's own hash vector (2.9.2, 2.9.3)", () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(bodyHash('{}')).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    const va =
      '{"partnerServiceId":"  088899","customerNo":"12345678901234567890","virtualAccountNo":"  08889912345678901234567890","virtualAccountName":"Jokul Doe","virtualAccountEmail":"jokul@email.com","virtualAccountPhone":"6281828384858","trxId":"abcdefgh1234","totalAmount":{"value":"12345678.00","currency":"IDR"}}';
    expect(sha256Hex(Buffer.from(va))).toBe('3274fab8dac896837b106a16da2a974e7e65142dcecb4b768ef0294102838977');
  });

  it('2.9.4 token signature (SHA256withRSA) is reproduced and verified', () => {
    const clientId = 'BRN-0000-1700000000000';
    expect(snapTokenSignature(clientId, TS, THROWAWAY_PRIVATE)).toBe(TOKEN_SIGNATURE);
    expect(rsaSignBase64(createPrivateKey(THROWAWAY_PRIVATE), `${clientId}|${TS}`)).toBe(TOKEN_SIGNATURE);
    const pub = createPublicKey(THROWAWAY_PUBLIC);
    expect(rsaVerifyBase64(pub, `${clientId}|${TS}`, TOKEN_SIGNATURE)).toBe(true);
    expect(rsaVerifyBase64(pub, `${clientId}|2024-05-21T10:15:31+07:00`, TOKEN_SIGNATURE)).toBe(false);
    expect(rsaVerifyBase64(pub, `${clientId}|${TS}`, 'not base64!')).toBe(false);
  });

  it('2.9.6 notification signatures, symmetric and asymmetric', () => {
    const body =
      '{"originalPartnerReferenceNo":"PUR-20240521-0001","originalReferenceNo":"DOKU-REF-0001","amount":{"value":"150000.00","currency":"IDR"},"latestTransactionStatus":"00","transactionStatusDesc":"SUCCESS","additionalInfo":{}}';
    const ts = '2024-05-21T10:20:00+07:00';
    expect(bodyHash(body)).toBe('658014a51cc48c7703a731b03677f5d2ec516845546bcc634775d42ea8cd129c');
    expect(
      snapSymmetric({
        method: 'POST',
        path: '/partner/doku/notify',
        token: 'partner-issued-b2b-token-for-doku',
        body,
        timestamp: ts,
        secret: SECRET,
      }),
    ).toBe('wQZIOdrFYd7ij0xaAB8YGk0o3E8Nf+NkXTrkehM2qbjB3vxYmc8mxVXtugZopBDniGlLql7hVYds61Kl+UAsnQ==');
    const asym =
      'fc+DUVFtOmGjqpPiKPaw4yA8uqft7hP0quNAXv7YADGlObh59CsBGRg3eZr1p3ODAjJMIp1d1daM2jam19exkYvYflHETOq9yW5dE5LBXYnmuI+QGeUnYJBAlNouQzMa5VbYY8nlvJfrQeBLWb6DNb7aPe3e8OK8OzV01Dvzq4MZgCfcdeMZgMCosaqp/0SRyIyVc+W8whNIOpypmLG/aiPm0m8t+8MC5oJ/13RVIQ6Z2jtH64lrVQR8/xDqnxOYhhazHBQv0CGNhRYmdyq57mc9Y2C2hzic8vX/Qn6mbquDoa4TjIPEuTpi4jCsAF8+ILizRLqBlwLoo4uaxOfcZQ==';
    const sts = `POST:/partner/doku/notify:${bodyHash(body)}:${ts}`;
    expect(rsaSignBase64(createPrivateKey(THROWAWAY_PRIVATE), sts)).toBe(asym);
    expect(rsaVerify(THROWAWAY_PUBLIC, sts, asym)).toBe(true);
  });

  it('2.9.7 authCode encryption (AES/ECB/PKCS7, Base64)', () => {
    const encrypted = encryptAuthCode('ThrowawayAesKey1', 'cfb5de1a-6a40-40e0-8549-0634bcaed8ed');
    expect(encrypted).toBe('Bjgydwaf0YJeJKK2d1HSiupxwd9n76i9PtJRaFKGgNBIUaEv+pd0oak6aqfJMc/7');
    expect(aesEcbDecrypt('ThrowawayAesKey1', encrypted)).toBe('cfb5de1a-6a40-40e0-8549-0634bcaed8ed');
  });
});
