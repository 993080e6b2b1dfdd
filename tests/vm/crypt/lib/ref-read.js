// Decrypt one lower file with the reference reader of the agent
// (dist/crypto, the code the unit tests pin to known answers), so that
// what the kernel stored can be checked byte for byte against it.
//
//   node ref-read.js KEY_STORE LOWER_FILE OUT_FILE
//
// Prints the header's key name and version as "key NAME:VERSION"; on a
// failure prints the error code and exits 1.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const repo = process.env.TK_REPO ?? path.resolve(__dirname, '../../../..');
const { EncryptedFile } = require(path.join(repo, 'dist/crypto'));
const { LocalKeyStore } = require(path.join(repo, 'dist/keys/local-store'));

const CHUNK = 1 << 20;

async function main([store, lower, out]) {
  const provider = await LocalKeyStore.open({ path: store });
  const file = await EncryptedFile.open(lower, provider, { readOnly: true });
  const fd = fs.openSync(out, 'w');
  try {
    const size = file.size();
    for (let offset = 0; offset < size; offset += CHUNK) {
      fs.writeSync(fd, file.read(offset, Math.min(CHUNK, size - offset)));
    }
    console.log(`key ${file.header.keyName}:${file.header.keyVersion}`);
  } finally {
    fs.closeSync(fd);
    file.close();
    provider.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.log(`error ${err.code ?? ''}: ${err.message}`);
  process.exit(1);
});
