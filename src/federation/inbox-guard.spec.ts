import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { duplicateSignatureParameter } from './inbox-guard.js';

void describe('duplicateSignatureParameter', () => {
  void it('finds a parameter given twice, in any case, before or after the others', () => {
    const sig = 'keyId="https://a.example/k",headers="date",signature="abc=="';
    assert.equal(duplicateSignatureParameter(sig), null);
    assert.equal(duplicateSignatureParameter(`${sig},keyId="https://x.invalid/k"`), 'keyid');
    assert.equal(duplicateSignatureParameter(`KEYID="x",${sig}`), 'keyid');
    assert.equal(duplicateSignatureParameter(`${sig},signature="def"`), 'signature');
  });

  void it('ignores names inside quoted values and absent headers', () => {
    assert.equal(duplicateSignatureParameter('keyId="a,keyId=b",signature="x"'), null);
    assert.equal(duplicateSignatureParameter(undefined), null);
    assert.equal(duplicateSignatureParameter('garbage'), null);
  });
});
