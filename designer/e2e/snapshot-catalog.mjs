// Writes the activity catalog as the real server serves it (GET /api/activities) to test/fixtures/activities.json,
// for the unit tests' "every activity's form renders". The e2e run fails when the snapshot is out of date.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo, startServer } from './server.mjs';

export const snapshotFile = join(repo, 'designer', 'test', 'fixtures', 'activities.json');

const server = await startServer({ designer: 'none' });
try {
  const { status, body } = await server.call('viewer', 'GET', '/api/activities');
  if (status !== 200) throw new Error(`GET /api/activities answered ${status}`);
  writeFileSync(snapshotFile, JSON.stringify(body, null, 2) + '\n');
  console.log(`wrote ${body.length} activities to ${snapshotFile}`);
} finally {
  await server.stop();
}
