/** Interop suite: real DCMTK and Orthanc peers from Debian (`apt-get install -y dcmtk orthanc`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/interop'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': 'ts-jest' },
  testTimeout: 120000,
  maxWorkers: 1,
};
