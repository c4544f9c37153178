// Starts the real PgHa.Server (built dll) on 127.0.0.1 with a temporary SQLite store, and makes keys with the
// real CLI ('pgha keys create' on the data directory), as an operator would. Shared by the e2e tests and the
// catalog snapshot script.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The newest build of a project's dll (Release from tests/run.sh, or Debug from a developer's build). */
function built(project, dll, variable) {
  if (process.env[variable]) return process.env[variable];
  const candidates = ['Release', 'Debug'].map(c => join(repo, 'src', project, 'bin', c, 'net10.0', dll)).filter(existsSync);
  if (candidates.length === 0)
    throw new Error(`${dll} is not built; run 'dotnet build src/${project}' first (or set ${variable})`);
  return candidates.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

const freePort = () => new Promise((ok, fail) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  s.on('error', fail);
});

export async function startServer({ designer = join(repo, 'designer', 'dist'), runbooks = 'none' } = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'pgha-designer-e2e-'));
  const database = join(directory, 'pgha.db');
  const cli = built('PgHa.Cli', 'pgha.dll', 'PGHA_CLI_DLL');
  const keys = {};
  for (const [name, role] of [['ada-operator', 'operator'], ['bob-approver', 'approver'], ['vic-viewer', 'viewer'], ['root-admin', 'admin']])
    keys[role] = execFileSync('dotnet', [cli, 'keys', 'create', '--database', database, '--name', name, '--role', role],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('dotnet', [built('PgHa.Server', 'PgHa.Server.dll', 'PGHA_SERVER_DLL'), '--urls', url,
    '--PgHa:Database', database, '--PgHa:RunbookFolder', runbooks, '--PgHa:DesignerFolder', designer,
    '--PgHa:Engine:PollIntervalMilliseconds', '100', '--PgHa:Sse:HeartbeatSeconds', '1'],
  { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', d => { output += d; });
  child.stderr.on('data', d => { output += d; });

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
    try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`the server did not become healthy:\n${output}`); }
    await new Promise(r => setTimeout(r, 200));
  }

  const call = async (role, method, path, body) => {
    const response = await fetch(url + path, {
      method, headers: { Authorization: `Bearer ${keys[role]}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  return {
    url, keys, directory, call, output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise(r => { if (child.exitCode !== null) r(); else child.once('exit', r); setTimeout(r, 5000); });
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
