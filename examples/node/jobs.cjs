// A CommonJS job runner.
const crypto = require('crypto');
const zlib = require('zlib');

async function hashPassword(password, salt) {
  return crypto.pbkdf2Sync(password, salt, 600000, 64, 'sha512');
}

async function pack(buffer) {
  const compressed = zlib.gzipSync(buffer);
  return compressed.toString('base64');
}

function packAtStartup(buffer) {
  // a plain function: not known to run on the event loop, not reported
  return zlib.gzipSync(buffer);
}

module.exports = { hashPassword, pack, packAtStartup };
